package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class UnregisteredWarningTest {

  /**
   * Tomcat 10.1 runs on Java 11 and loads the initializers of the JARs in its {@code lib} for every
   * application: compiled for Java 17, this one's {@code UnsupportedClassVersionError} stopped all
   * of them from deploying, ROOT and those that never use ApiLink (seen on Tomcat 10.1.59 with the
   * class files for Java 25 under Java 17). So it is Java 11's (class file 55), and names no other
   * class of ApiLink's, which are Java 17's and would fail the same way once loaded.
   */
  @Test
  void theInitializerIsAJava11ClassThatNamesNoOtherClassOfApiLink() throws IOException {
    byte[] bytes;
    try (InputStream in =
        UnregisteredWarning.class.getResourceAsStream("UnregisteredWarning.class")) {
      bytes = in.readAllBytes();
    }
    int major = (bytes[6] & 0xff) << 8 | bytes[7] & 0xff;
    assertEquals(55, major, "the class file's major version");

    List<String> named = new ArrayList<>();
    Matcher apiLink =
        Pattern.compile("dev/apilink/[\\w/$]+")
            .matcher(new String(bytes, StandardCharsets.ISO_8859_1));
    while (apiLink.find()) {
      if (!apiLink.group().equals("dev/apilink/UnregisteredWarning")) {
        named.add(apiLink.group());
      }
    }
    assertEquals(List.of(), named, "ApiLink's classes that the initializer names");
  }
}
