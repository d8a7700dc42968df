package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.apilink.config.BackendConfig;
import dev.apilink.token.SigningKeys;
import dev.apilink.token.TokenIssuer;
import java.net.URI;
import java.text.MessageFormat;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** A link's life: it takes exchanges until it is retired and has closed. */
class LinkTest {

  /** A gateway on a port nothing listens on (9, discard), with a 1 s connect limit. */
  static BackendConfig backend() {
    return new BackendConfig(
        URI.create("http://127.0.0.1:9"),
        "key",
        BackendConfig.DEFAULT_SUBSCRIPTION_KEY_HEADER,
        "http://127.0.0.1:9",
        1,
        5,
        0,
        4,
        BackendConfig.DEFAULT_MAX_REQUESTS_PER_CLIENT_CONNECTION,
        30,
        BackendConfig.DEFAULT_MAX_CONNECTION_AGE_SECONDS,
        BackendConfig.DEFAULT_MAX_RESPONSE_HEADER_BYTES,
        null);
  }

  static Link link() throws Exception {
    BackendConfig backend = backend();
    TokenIssuer tokens =
        new TokenIssuer(
            SigningKeys.generate(),
            "http://127.0.0.1/.auth",
            "http://127.0.0.1:9",
            "127.0.0.1",
            300,
            Clock.systemUTC());
    return new Link(
        backend,
        GatewayClient.start(backend, "apilink-link-test"),
        tokens,
        "Authorization",
        URI.create("http://127.0.0.1"),
        "container",
        List.of(),
        new ExchangeCounts(),
        new ClientConnections(),
        "/shop/api");
  }

  @Test
  void aRetiredLinkWithNothingInFlightRefusesTheNextExchangeForItsSuccessor() throws Exception {
    Link link = link();
    try {
      link.retire();

      // A request that chose this link just before a configuration change replaced it: refused
      // untouched (null request and response would fail if used), so that the filter can hand it
      // to the new link. It used to go to the closing client and get a 502 (seen once in
      // LiveReloadContract.requestsDuringARewriteNeitherFailNorMixTheTwoConfigurations).
      assertFalse(link.proxy(null, null));
      assertEquals(0, link.exchangesInFlight());
    } finally {
      link.close();
    }
  }

  @Test
  void theCountOfFailuresNotLoggedIsWrittenWithAsciiDigitsWhateverTheLocale() throws Exception {
    // The container's log formatter fills a record's parameters in with the JVM's locale: with
    // -Duser.language=ar -Duser.country=EG a number came out as "١٬٢٣٤" and 10 s as "١٠ s".
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            records.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger("dev.apilink.proxy");
    logger.addHandler(capture);
    try {
      Link link = link();
      link.failureLog().admit("answered 502 (java.net.ConnectException)");
      for (int i = 0; i < 1234; i++) {
        link.failureLog().admit("answered 502 (java.net.ConnectException)");
      }
      link.close();
    } finally {
      logger.removeHandler(capture);
    }

    assertEquals(1, records.size(), records.toString());
    LogRecord record = records.get(0);
    assertEquals(
        "ApiLink: 1234 more requests to http://127.0.0.1/shop/api answered 502 (java.net.ConnectException)"
            + " (gateway"
            + " http://127.0.0.1:9), not logged one by one (at most one line every 10 s)",
        new MessageFormat(record.getMessage(), Locale.forLanguageTag("ar-EG"))
            .format(record.getParameters()));
  }
}
