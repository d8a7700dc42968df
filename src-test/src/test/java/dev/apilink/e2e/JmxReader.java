package dev.apilink.e2e;

import com.sun.tools.attach.VirtualMachine;
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
}
