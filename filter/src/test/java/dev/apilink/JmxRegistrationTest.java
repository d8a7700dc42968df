package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** A site's bean in the JVM's MBean server. */
class JmxRegistrationTest {

  /** A bean whose attributes are all zero, false or empty. */
  static ApiLinkMXBean idle() {
    return (ApiLinkMXBean)
        Proxy.newProxyInstance(
            ApiLinkMXBean.class.getClassLoader(),
            new Class<?>[] {ApiLinkMXBean.class},
            (proxy, method, args) ->
                switch (method.getReturnType().getName()) {
                  case "boolean" -> false;
                  case "int" -> 0;
                  case "long" -> 0L;
                  default -> method.getName().equals("toString") ? "idle" : "";
                });
  }

  @Test
  void twoApplicationsAtOneContextPathAreTwoInstances() throws Exception {
    // Tomcat's parallel versions (shop##1.war, shop##2.war) share their context path.
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try (JmxRegistration first = JmxRegistration.register(idle(), "Catalina/localhost", "/shop");
        JmxRegistration second = JmxRegistration.register(idle(), "Catalina/localhost", "/shop")) {
      assertNotNull(first);
      assertNotNull(second);
      assertEquals(
          "dev.apilink:type=ApiLink,virtualServer=\"Catalina/localhost\",context=\"/shop\"",
          first.name().toString());
      assertEquals(first.name() + ",instance=2", second.name().toString());
      assertEquals(false, server.getAttribute(second.name(), "Linked"));
    }
    assertFalse(
        server.isRegistered(
            new javax.management.ObjectName(
                "dev.apilink:type=ApiLink,virtualServer=\"Catalina/localhost\",context=\"/shop\"")));
  }

  @Test
  void contextPathsThatDifferOnlyInCharactersJmxQuotesHaveBeansOfTheirOwnNames() throws Exception {
    // A quoted value's *, ?, " and \ are escaped: /a* must neither be a pattern matching /a?'s
    // bean nor take its name, and none of them is an instance of another.
    List<String> paths = List.of("/a*", "/a?", "/a\"", "/a\\", "/a\\*", "/a");
    List<JmxRegistration> registered = new ArrayList<>();
    try {
      for (String path : paths) {
        registered.add(JmxRegistration.register(idle(), "Catalina/localhost", path));
      }
      for (int i = 0; i < paths.size(); i++) {
        ObjectName name = registered.get(i).name();
        assertFalse(name.isPattern(), name.toString());
        assertNull(name.getKeyProperty("instance"), name.toString());
        assertEquals(paths.get(i), ObjectName.unquote(name.getKeyProperty("context")));
      }
    } finally {
      registered.forEach(JmxRegistration::close);
    }
  }

  @Test
  void theRootWithoutAVirtualServerNameIsNamedToo() {
    // Jetty names no virtual server unless the context has virtual hosts.
    try (JmxRegistration root = JmxRegistration.register(idle(), null, "")) {
      assertEquals(
          "dev.apilink:type=ApiLink,virtualServer=\"\",context=\"/\"", root.name().toString());
    }
  }

  @Test
  void aContextPathTakenByEveryInstanceNameIsWarnedOfAndNotRegistered() {
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            logged.add(record.getLevel() + " " + record.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger("dev.apilink");
    List<JmxRegistration> taken = new ArrayList<>();
    logger.addHandler(capture);
    try {
      for (int i = 0; i < 21; i++) {
        taken.add(JmxRegistration.register(idle(), "v", "/full"));
      }

      assertNull(JmxRegistration.register(idle(), "v", "/full"));
    } finally {
      logger.removeHandler(capture);
      taken.forEach(JmxRegistration::close);
    }
    assertEquals(
        List.of(
            "WARNING ApiLink: not registered in JMX:"
                + " dev.apilink:type=ApiLink,virtualServer=\"v\",context=\"/full\" is taken 21 times"),
        logged);
  }
}
