package dev.apilink.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

/**
 * The text of a JSON file as ApiLink reads it: UTF-8, without the byte order mark that Notepad and
 * Windows PowerShell put first (RFC 8259 8.1 lets a parser ignore it; Jackson refuses it).
 */
public final class JsonText {

  private JsonText() {}

  /**
   * {@code bytes} decoded as UTF-8, without a leading byte order mark (U+FEFF).
   *
   * @throws IOException if they are not UTF-8 (a file saved as Windows-1252 or UTF-16): read with
   *     replacement characters, it loaded with U+FFFD in its values
   */
  public static String of(byte[] bytes) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, out, true);
    if (result.isError()) {
      throw new IOException(
          "not UTF-8: byte " + (in.position() + 1) + " is not valid there; save the file as UTF-8");
    }
    String content = out.flip().toString();
    return content.startsWith("\uFEFF") ? content.substring(1) : content;
  }
}
