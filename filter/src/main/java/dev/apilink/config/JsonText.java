package dev.apilink.config;

import java.nio.charset.StandardCharsets;

/**
 * The text of a JSON file as ApiLink reads it: UTF-8, without the byte order mark that Notepad and
 * Windows PowerShell put first (RFC 8259 8.1 lets a parser ignore it; Jackson refuses it).
 */
public final class JsonText {

  private JsonText() {}

  /** {@code bytes} decoded as UTF-8, without a leading byte order mark (U+FEFF). */
  public static String of(byte[] bytes) {
    String content = new String(bytes, StandardCharsets.UTF_8);
    return content.startsWith("\uFEFF") ? content.substring(1) : content;
  }
}
