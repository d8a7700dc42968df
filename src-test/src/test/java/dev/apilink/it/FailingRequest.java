package dev.apilink.it;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;

/**
 * A request whose body a filter's wrapper serves, failing as the client's {@code
 * X-Test-Request-Body-Fails} says:
 *
 * <ul>
 *   <li>{@code listener-unsupported}: {@code setReadListener()} throws {@code
 *       UnsupportedOperationException}, as wrappers written before Servlet 3.1's non-blocking input
 *       may;
 *   <li>{@code listener-missing}: {@code setReadListener()} throws {@code AbstractMethodError}, as
 *       a wrapper's input stream compiled against Servlet 3.0 does, which lacks the method.
 * </ul>
 */
final class FailingRequest extends HttpServletRequestWrapper {

  static final String HEADER = "X-Test-Request-Body-Fails";

  private final String how;
  private ServletInputStream input;

  FailingRequest(HttpServletRequest request, String how) {
    super(request);
    this.how = how;
  }

  @Override
  public ServletInputStream getInputStream() throws IOException {
    if (input == null) {
      input = new Input(super.getInputStream());
    }
    return input;
  }

  /** The container's input stream, its read listener refused as {@link #how} says. */
  private final class Input extends ServletInputStream {
    private final ServletInputStream in;

    Input(ServletInputStream in) {
      this.in = in;
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      if (how.equals("listener-missing")) {
        throw new AbstractMethodError(
            "dev.example.CachingInputStream.setReadListener(Ljakarta/servlet/ReadListener;)V");
      }
      throw new UnsupportedOperationException("not supported");
    }

    @Override
    public int read() throws IOException {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, len);
    }
  }
}
