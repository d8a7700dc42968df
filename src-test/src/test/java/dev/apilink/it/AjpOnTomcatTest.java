package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.testkit.faults.SilentServer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ApiLink behind Apache httpd's {@code mod_proxy_ajp}: Tomcat's AJP connector, spoken to by a raw
 * AJP client (the AJP/1.3 protocol: a forward-request packet, then body packets that Tomcat asks
 * for).
 */
class AjpOnTomcatTest {

  @TempDir Path dir;
  Site site;
  Consumer<ObjectNode> keyFile;

  @BeforeEach
  void startContainer() throws Exception {
    site = Site.create(ServletContainer.Kind.TOMCAT, dir, "");
    keyFile = Battery.prepare(site, dir);
  }

  @AfterEach
  void stopContainer() throws Exception {
    site.close();
  }

  /**
   * A body packet over the connector's {@code packetSize} (httpd's {@code ProxyIOBufferSize} set
   * above Tomcat's) fails in Tomcat's own non-blocking read, which recycles the request without
   * telling ApiLink; the gateway's timeout then ends the exchange. Before, ApiLink's answer to that
   * timeout asked the recycled request for its method, which threw, and the exchange never ended:
   * in flight for ever, and a retired link never closed (found by review on Tomcat 10.1.59 behind
   * httpd 2.4.71).
   */
  @Test
  void anExchangeWhoseRequestTheContainerRecycledEndsAtTheGatewaysTimeout() throws Exception {
    try (SilentServer gateway = SilentServer.start()) {
      site.deployLinkedTo(
          URI.create("http://127.0.0.1:" + gateway.port()),
          keyFile.andThen(c -> Battery.backend(c).put("timeoutSeconds", 1)));
      int ajpPort = ((EmbeddedTomcat) site.container()).addAjpConnector();

      try (Socket ajp = new Socket("127.0.0.1", ajpPort)) {
        OutputStream out = ajp.getOutputStream();
        out.write(forwardRequest("POST", "/api/upload", 100_000));
        out.write(bodyPacket(new byte[1000]));
        out.flush();
        // Tomcat asks for more of the body (GET_BODY_CHUNK) once ApiLink has read the first part.
        DataInputStream in = new DataInputStream(ajp.getInputStream());
        assertEquals(0x4142, in.readUnsignedShort());
        in.skipNBytes(in.readUnsignedShort());
        // A packet longer than Tomcat's 8192 bytes.
        out.write(new byte[] {0x12, 0x34, 0x3f, (byte) 0xfc});
        out.write(new byte[1000]);
        out.flush();

        ServletContainer container = site.container();
        Await.until(
            "the exchange over",
            Duration.ofSeconds(20),
            () -> container.apiLinkFilter().exchangesInFlight() == 0,
            () -> container.apiLinkFilter().exchangesInFlight() + " in flight");
      }
    }
  }

  /**
   * The first body packet over the connector's {@code packetSize}, which httpd sends with the
   * request: Tomcat fails ApiLink's own first look at the body. That is the client's body that
   * could not be read, a 400 and none of the gateway's failures; it was answered 502 "could not be
   * reached" and counted as one (found by review on Tomcat 10.1.59 behind httpd 2.4.71).
   */
  @Test
  void aFirstBodyPacketTooLongIsTheClientsUnreadableBodyNotTheGatewaysFailure() throws Exception {
    try (SilentServer gateway = SilentServer.start()) {
      site.deployLinkedTo(URI.create("http://127.0.0.1:" + gateway.port()), keyFile);
      int ajpPort = ((EmbeddedTomcat) site.container()).addAjpConnector();

      try (Socket ajp = new Socket("127.0.0.1", ajpPort)) {
        OutputStream out = ajp.getOutputStream();
        out.write(forwardRequest("POST", "/api/upload", 100_000));
        // A packet longer than Tomcat's 8192 bytes.
        out.write(new byte[] {0x12, 0x34, 0x3f, (byte) 0xfc});
        out.write(new byte[1000]);
        out.flush();

        assertEquals(400, statusOfTheResponse(new DataInputStream(ajp.getInputStream())));
      }
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name = Counted.siteBean();
      assertEquals(0L, server.getAttribute(name, "AnsweredBadGateway"));
    }
  }

  /** Reads AJP packets from the container up to its SEND_HEADERS, and returns that status. */
  private static int statusOfTheResponse(DataInputStream in) throws IOException {
    while (true) {
      assertEquals(0x4142, in.readUnsignedShort());
      int length = in.readUnsignedShort();
      int type = in.readUnsignedByte();
      if (type == 4) { // JK_AJP13_SEND_HEADERS
        return in.readUnsignedShort();
      }
      in.skipNBytes(length - 1);
    }
  }

  /**
   * An AJP/1.3 forward-request packet for {@code method} {@code uri} with a body of {@code length}.
   */
  static byte[] forwardRequest(String method, String uri, int length) {
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    payload.write(0x02); // JK_AJP13_FORWARD_REQUEST
    payload.write(method.equals("POST") ? 4 : 2);
    string(payload, "HTTP/1.1");
    string(payload, uri);
    string(payload, "127.0.0.1"); // remote_addr
    string(payload, "localhost"); // remote_host
    string(payload, "localhost"); // server_name
    integer(payload, 80);
    payload.write(0); // is_ssl
    integer(payload, 3);
    integer(payload, 0xA00B); // Host
    string(payload, "localhost");
    integer(payload, 0xA008); // Content-Length
    string(payload, Integer.toString(length));
    integer(payload, 0xA007); // Content-Type
    string(payload, "application/octet-stream");
    payload.write(0xFF); // end of attributes
    return packet(payload.toByteArray());
  }

  /** An AJP/1.3 body packet: the chunk's length, then the chunk. */
  static byte[] bodyPacket(byte[] chunk) {
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    integer(payload, chunk.length);
    payload.writeBytes(chunk);
    return packet(payload.toByteArray());
  }

  private static byte[] packet(byte[] payload) {
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(0x12);
    packet.write(0x34);
    integer(packet, payload.length);
    packet.writeBytes(payload);
    return packet.toByteArray();
  }

  private static void string(ByteArrayOutputStream out, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
    integer(out, bytes.length);
    out.writeBytes(bytes);
    out.write(0);
  }

  private static void integer(ByteArrayOutputStream out, int value) {
    out.write(value >> 8 & 0xFF);
    out.write(value & 0xFF);
  }
}
