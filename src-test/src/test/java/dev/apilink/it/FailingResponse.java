package dev.apilink.it;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.util.Set;

/**
 * A response whose container fails while ApiLink passes the gateway's answer on, as a container can
 * without the client having gone: a class it cannot load (Tomcat's class loader, with no file
 * descriptor left, throws {@code IllegalStateException: ... (Too many open files)}), memory. Which
 * failure and where is the client's {@code X-Test-Container-Fails}, one or more of these, separated
 * by commas:
 *
 * <ul>
 *   <li>{@code head}: setting the gateway's field {@code X-Answer-Marker} throws {@code
 *       NoClassDefFoundError};
 *   <li>{@code head-unchecked}: the same throws {@code IllegalStateException};
 *   <li>{@code body}: the first write once the response is committed throws {@code
 *       NoClassDefFoundError};
 *   <li>{@code first-write}: the first write or flush, while the response is not yet committed,
 *       throws {@code NoClassDefFoundError}; the next ones pass (ApiLink's own answer can be
 *       written);
 *   <li>{@code listener-ignored}: the output stream ignores the write listener and says it is
 *       always ready, as response wrappers written before Servlet 3.1's non-blocking output do (a
 *       compression or caching filter's): the write listener is never called back;
 *   <li>{@code listener-unsupported}: the output stream's {@code setWriteListener()} throws {@code
 *       UnsupportedOperationException}, as other such wrappers do;
 *   <li>{@code error-status}: setting a status of 400 or more throws {@code NoClassDefFoundError};
 *   <li>{@code error-status-unchecked}: the same throws {@code IllegalStateException}.
 * </ul>
 */
final class FailingResponse extends HttpServletResponseWrapper {

  static final String HEADER = "X-Test-Container-Fails";
  static final String MARKER = "X-Answer-Marker";

  private final Set<String> where;
  private ServletOutputStream output;
  private boolean failedOnce;

  FailingResponse(HttpServletResponse response, String where) {
    super(response);
    this.where = Set.of(where.split(","));
  }

  @Override
  public void setStatus(int status) {
    if (status >= 400 && where.contains("error-status")) {
      throw new NoClassDefFoundError("dev/example/NotLoaded");
    }
    if (status >= 400 && where.contains("error-status-unchecked")) {
      throw new IllegalStateException(
          "java.io.FileNotFoundException: /tmp/site/WEB-INF/lib/x.jar (Too many open files)");
    }
    super.setStatus(status);
  }

  @Override
  public void setHeader(String name, String value) {
    failIfMarker(name);
    super.setHeader(name, value);
  }

  @Override
  public void addHeader(String name, String value) {
    failIfMarker(name);
    super.addHeader(name, value);
  }

  private void failIfMarker(String name) {
    if (!name.equalsIgnoreCase(MARKER)) {
      return;
    }
    if (where.contains("head")) {
      throw new NoClassDefFoundError("dev/example/NotLoaded");
    }
    if (where.contains("head-unchecked")) {
      throw new IllegalStateException(
          "java.io.FileNotFoundException: /tmp/site/WEB-INF/lib/x.jar (Too many open files)");
    }
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    if (!where.contains("body")
        && !where.contains("close")
        && !where.contains("first-write")
        && !listenerFails()) {
      return super.getOutputStream();
    }
    if (output == null) {
      output = new Output(super.getOutputStream());
    }
    return output;
  }

  private boolean listenerFails() {
    return where.contains("listener-ignored") || where.contains("listener-unsupported");
  }

  /** The container's output stream, failing as {@link #where} says. */
  private final class Output extends ServletOutputStream {
    private final ServletOutputStream out;

    Output(ServletOutputStream out) {
      this.out = out;
    }

    @Override
    public boolean isReady() {
      return listenerFails() || out.isReady();
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      if (where.contains("listener-unsupported")) {
        throw new UnsupportedOperationException("not supported");
      }
      if (!where.contains("listener-ignored")) {
        out.setWriteListener(listener);
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (where.contains("body") && isCommitted()) {
        throw new NoClassDefFoundError("dev/example/NotLoaded");
      }
      failIfFirstWrite();
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      failIfFirstWrite();
      out.flush();
    }

    private void failIfFirstWrite() {
      if (where.contains("first-write") && !failedOnce && !isCommitted()) {
        failedOnce = true;
        throw new NoClassDefFoundError("dev/example/NotLoaded");
      }
    }

    @Override
    public void close() throws IOException {
      if (where.contains("close")) {
        throw new NoClassDefFoundError("dev/example/NotLoaded");
      }
      out.close();
    }
  }
}
