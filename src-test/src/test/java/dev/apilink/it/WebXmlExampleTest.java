package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code web.xml.example}, which users copy as it is, registers ApiLink as the embedded containers
 * of these tests do (see {@link ServletContainer#deploy}), and pins nothing that a deployment
 * should choose.
 */
class WebXmlExampleTest {

  static Document example;

  @BeforeAll
  static void parse() throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    example = factory.newDocumentBuilder().parse(Path.of("../web.xml.example").toFile());
  }

  @Test
  void noInitParamPinsTheEnvironmentOrTheConfigurationFile() {
    // An init-param wins over -Dapilink.environment and APILINK_ENVIRONMENT: a copied example
    // that set one would run every deployment of the WAR as that environment.
    assertEquals(List.of(), texts("param-name"));
  }

  @Test
  void theFilterIsAsyncAndMappedToApiAndTheWellKnownPathsForRequestAndAsync() {
    assertEquals(List.of("ApiLink"), texts("filter-name").subList(0, 1));
    assertEquals(List.of("dev.apilink.ApiLinkFilter"), texts("filter-class"));
    assertEquals(List.of("/api/*", "/.auth/.well-known/*", "/api/*"), texts("url-pattern"));
    assertEquals(List.of("REQUEST", "ASYNC"), texts("dispatcher"));
    assertEquals(List.of("dev.apilink.ApiLinkServlet"), texts("servlet-class"));
    assertEquals(List.of("true", "true"), texts("async-supported"));
  }

  private static List<String> texts(String tag) {
    NodeList nodes = example.getElementsByTagNameNS("*", tag);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      texts.add(((Element) nodes.item(i)).getTextContent().trim());
    }
    return texts;
  }
}
