package dev.apilink;

import dev.apilink.config.Loggers;
import java.lang.management.ManagementFactory;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * A site's {@link ApiLinkMXBean} in the JVM's platform MBean server, from the filter's start to its
 * stop: the server is the JVM's, so a bean left behind would keep the stopped application's classes
 * (and its configuration) for as long as the container runs.
 */
final class JmxRegistration implements AutoCloseable {

  private static final Logger LOG = Loggers.named("dev.apilink");

  /** Names tried after the first for a site whose name is taken (Tomcat's parallel versions). */
  private static final int MORE_INSTANCES = 20;

  private final MBeanServer server;
  private final ObjectName name;

  private JmxRegistration(MBeanServer server, ObjectName name) {
    this.server = server;
    this.name = name;
  }

  /**
   * Registers {@code bean} for the web application at {@code contextPath} ("" for the root) of
   * {@code virtualServer} (Tomcat's {@code Catalina/localhost}; Jetty names none unless the context
   * has virtual hosts); null, with a warning, if it cannot be registered: monitoring is not worth
   * failing the site for.
   */
  static JmxRegistration register(ApiLinkMXBean bean, String virtualServer, String contextPath) {
    String base =
        "dev.apilink:type=ApiLink,virtualServer="
            + ObjectName.quote(virtualServer == null ? "" : virtualServer)
            + ",context="
            + ObjectName.quote(contextPath.isEmpty() ? "/" : contextPath);
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      for (int instance = 1; instance <= 1 + MORE_INSTANCES; instance++) {
        ObjectName name = new ObjectName(instance == 1 ? base : base + ",instance=" + instance);
        try {
          server.registerMBean(new StandardMBean(bean, ApiLinkMXBean.class, true), name);
          return new JmxRegistration(server, name);
        } catch (InstanceAlreadyExistsException taken) {
          // Another application at the same context path (a parallel version): the next name.
        }
      }
      LOG.warning(
          "ApiLink: not registered in JMX: "
              + base
              + " is taken "
              + (1 + MORE_INSTANCES)
              + " times");
    } catch (JMException | RuntimeException e) {
      LOG.log(Level.WARNING, "ApiLink: not registered in JMX as " + base, e);
    }
    return null;
  }

  ObjectName name() {
    return name;
  }

  @Override
  public void close() {
    try {
      server.unregisterMBean(name);
    } catch (InstanceNotFoundException gone) {
      // unregistered by someone else: nothing to keep
    } catch (JMException | RuntimeException e) {
      LOG.log(Level.WARNING, "ApiLink: could not unregister " + name + " from JMX", e);
    }
  }
}
