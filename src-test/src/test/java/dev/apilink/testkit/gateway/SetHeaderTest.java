package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.testkit.echo.EchoBackend;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The inbound {@code set-header} policy, as the backend sees it. */
class SetHeaderTest {

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  @RegisterExtension
  static final ApimGatewayExtension gateway =
      ApimGatewayExtension.of(
          ApimGateway.builder()
              .api("sample", "api", backend.url())
              .product(Product.of("open").withSubscriptionRequired(false).withApis("sample"))
              .policyXml(
                  "open",
                  """
                  <policies>
                    <inbound>
                      <base />
                      <set-header name="X-Override" exists-action="override"><value>gateway</value></set-header>
                      <set-header name="X-Skip" exists-action="skip"><value>gateway</value></set-header>
                      <set-header name="X-Append" exists-action="append"><value>gateway</value></set-header>
                      <set-header name="X-Delete" exists-action="delete" />
                      <set-header name="X-Default"><value>one</value><value>two</value></set-header>
                    </inbound>
                    <backend><base /></backend>
                    <outbound><base /></outbound>
                    <on-error><base /></on-error>
                  </policies>
                  """));

  @BeforeEach
  void clear() {
    backend.clear();
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  private EchoBackend.Received callWith(String... headerPairs) {
    client.get(
        gateway.url(),
        "/api/x",
        headers -> {
          for (int i = 0; i < headerPairs.length; i += 2) {
            headers.add(headerPairs[i], headerPairs[i + 1]);
          }
        });
    return backend.received().get(0);
  }

  @Test
  void overrideReplacesTheClientsValues() {
    EchoBackend.Received received = callWith("X-Override", "a", "X-Override", "b");
    assertEquals(List.of("gateway"), received.header("X-Override"));
  }

  @Test
  void skipKeepsTheClientsValue() {
    assertEquals(List.of("client"), callWith("X-Skip", "client").header("X-Skip"));
  }

  @Test
  void skipSetsTheValueWhenTheClientSentNone() {
    assertEquals(List.of("gateway"), callWith().header("X-Skip"));
  }

  @Test
  void deleteRemovesTheHeader() {
    assertEquals(List.of(), callWith("X-Delete", "client").header("X-Delete"));
  }

  @Test
  void overrideIsTheDefault() {
    assertEquals(List.of("one,two"), callWith("X-Default", "client").header("X-Default"));
  }

  /**
   * Microsoft's set-header reference, usage notes: "Multiple values of a header are concatenated to
   * a CSV string, for example: headerName: value1,value2,value3", separate lines only for the
   * standardized headers it lists (User-Agent, Cookie, Date, ...), which X-Default is not.
   */
  @Test
  void severalValuesOfACustomHeaderReachTheBackendAsOneCommaSeparatedLine() {
    assertEquals(List.of("one,two"), callWith().header("X-Default"));
  }

  /**
   * Microsoft's set-header reference: "append - appends the value to the existing header value",
   * and multiple values are "concatenated to a CSV string".
   */
  @Test
  void appendAppendsToTheClientsValueOnOneLine() {
    assertEquals(List.of("client,gateway"), callWith("X-Append", "client").header("X-Append"));
  }
}
