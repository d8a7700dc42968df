package dev.apilink.testkit.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;

/**
 * Reads parameters from a raw query string and removes them while keeping every other byte as the
 * client sent it.
 */
final class QueryString {

  private QueryString() {}

  /** The decoded value of the first parameter {@code name}, or null. */
  static String first(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    for (String parameter : rawQuery.split("&", -1)) {
      int equals = parameter.indexOf('=');
      String rawName = equals < 0 ? parameter : parameter.substring(0, equals);
      if (decode(rawName).equals(name)) {
        return equals < 0 ? "" : decode(parameter.substring(equals + 1));
      }
    }
    return null;
  }

  /** {@code rawQuery} without any parameter {@code name}; null when nothing is left. */
  static String without(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    StringJoiner kept = new StringJoiner("&");
    boolean removed = false;
    for (String parameter : rawQuery.split("&", -1)) {
      int equals = parameter.indexOf('=');
      String rawName = equals < 0 ? parameter : parameter.substring(0, equals);
      if (decode(rawName).equals(name)) {
        removed = true;
      } else {
        kept.add(parameter);
      }
    }
    if (!removed) {
      return rawQuery;
    }
    return kept.length() == 0 ? null : kept.toString();
  }

  /** Percent-decoding that keeps what it cannot decode, and reads '+' as a space (forms). */
  static String decode(String raw) {
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high >= 0 && low >= 0) {
          bytes.write(high << 4 | low);
          i += 2;
          continue;
        }
      }
      if (c == '+') {
        bytes.write(' ');
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
