package dev.apilink.e2e;

import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Reads ApiLink's beans from a running container's JVM as an operator's JMX tools do: by the JDK's
 * attach API (the container's own user), which starts the JVM's local management agent.
 */
final class JmxReader {

  private JmxReader() {}

  /** Every {@code dev.apilink} bean of the JVM {@code pid}, by name, with its attributes. */
  static Map<String, Map<String, Object>> apiLinkBeans(long pid) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
    try (JMXConnector connector =
        JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
      MBeanServerConnection server = connector.getMBeanServerConnection();
      Map<String, Map<String, Object>> beans = new TreeMap<>();
      for (ObjectName name : server.queryNames(new ObjectName("dev.apilink:*"), null)) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (MBeanAttributeInfo attribute : server.getMBeanInfo(name).getAttributes()) {
          attributes.put(attribute.getName(), server.getAttribute(name, attribute.getName()));
        }
        beans.put(name.toString(), attributes);
      }
      return beans;
    } finally {
      vm.detach();
    }
  }

  /**
   * Invokes {@code operation}, without arguments, on the bean {@code name} of the JVM {@code pid},
   * as an operator's console does (Tomcat's "Find leaks", say), and returns its result.
   */
  static Object invoke(long pid, String name, String operation) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
    try (JMXConnector connector =
        JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
      return connector
          .getMBeanServerConnection()
          .invoke(new ObjectName(name), operation, new Object[0], new String[0]);
    } finally {
      vm.detach();
    }
  }

  /** The threads of the JVM {@code pid} that are alive now: their names by id. */
  static Map<Long, String> threads(long pid) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
    try (JMXConnector connector =
        JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
      ThreadMXBean threads =
          ManagementFactory.newPlatformMXBeanProxy(
              connector.getMBeanServerConnection(),
              ManagementFactory.THREAD_MXBEAN_NAME,
              ThreadMXBean.class);
      Map<Long, String> names = new TreeMap<>();
      for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info != null) {
          names.put(info.getThreadId(), info.getThreadName());
        }
      }
      return names;
    } finally {
      vm.detach();
    }
  }
}
