package dev.apilink.e2e.app;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A filter on {@code /*} that lets the application write into a buffer and copies it to the
 * response once its chain returns, as Spring's {@code ShallowEtagHeaderFilter} and logging filters
 * do. (Its helpers are named classes, which {@code Wars.withClass} finds, not anonymous ones.)
 */
public final class BufferingFilter extends HttpFilter {
  private static final long serialVersionUID = 1L;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    Buffered buffered = new Buffered(response);
    chain.doFilter(request, buffered);
    buffered.copyOut();
  }

  /** The response as the chain sees it: its body goes to a buffer, its length is left unset. */
  public static final class Buffered extends HttpServletResponseWrapper {
    private final BufferStream stream = new BufferStream();
    private final PrintWriter writer =
        new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));

    public Buffered(HttpServletResponse response) {
      super(response);
    }

    /** Sends what the chain wrote to the response this wraps, with its length. */
    public void copyOut() throws IOException {
      writer.flush();
      byte[] body = stream.buffer.toByteArray();
      getResponse().setContentLength(body.length);
      getResponse().getOutputStream().write(body);
    }

    @Override
    public ServletOutputStream getOutputStream() {
      return stream;
    }

    @Override
    public PrintWriter getWriter() {
      return writer;
    }

    @Override
    public void setContentLength(int length) {}

    @Override
    public void setContentLengthLong(long length) {}
  }

  private static final class BufferStream extends ServletOutputStream {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      buffer.write(b);
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      throw new UnsupportedOperationException();
    }
  }
}
