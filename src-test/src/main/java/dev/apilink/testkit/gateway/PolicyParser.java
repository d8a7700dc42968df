package dev.apilink.testkit.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.apilink.testkit.gateway.ValidateJwt.RequiredClaim;
import dev.apilink.testkit.gateway.ValidateJwt.TokenSource;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Reads an APIM policy document. Only what Static Web Apps' linking relies on is supported: {@code
 * <base/>} in every section, and {@code <validate-jwt>}, {@code <set-header>} (literal values) and
 * {@code <rate-limit>} (calls and renewal period) in {@code <inbound>}, with literal values (no
 * policy expression, no {@code {{named value}}}). Anything else fails loading with a message that
 * names the element, where it is and the document, so that a policy is never half applied.
 */
final class PolicyParser {

  private static final List<String> SECTIONS =
      List.of("inbound", "backend", "outbound", "on-error");
  private static final Set<String> VALIDATE_JWT_ATTRIBUTES =
      Set.of(
          "header-name",
          "query-parameter-name",
          "token-value",
          "failed-validation-httpcode",
          "failed-validation-error-message",
          "require-expiration-time",
          "require-signed-tokens",
          "require-scheme",
          "clock-skew",
          "output-token-variable-name");

  /** A reference to a named value, {@code {{name}}}. */
  private static final Pattern NAMED_VALUE = Pattern.compile("\\{\\{[^{}]+\\}\\}");

  private final String document;

  private PolicyParser(String document) {
    this.document = document;
  }

  /**
   * Parses {@code xml}.
   *
   * @param document names the document in messages, such as {@code policy of product "x"}
   * @throws GatewayConfigException naming the first problem found
   */
  static Policy parse(String xml, String document) {
    return new PolicyParser(document).parse(xml);
  }

  /** How a product's policy document is named in messages. */
  static String documentName(String productId) {
    return "policy of product \"" + productId + "\"";
  }

  private Policy parse(String xml) {
    Element root = read(xml).getDocumentElement();
    if (!root.getTagName().equals("policies")) {
      throw problem("the root element must be <policies> (was <" + root.getTagName() + ">)");
    }
    attributes(root, "", Set.of());
    List<Policy.InboundStep> inbound = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Element section : children(root, "policies")) {
      String name = section.getTagName();
      if (!SECTIONS.contains(name)) {
        throw unsupported(section, "policies");
      }
      if (!seen.add(name)) {
        throw problem("<" + name + "> appears twice");
      }
      attributes(section, "policies", Set.of());
      for (Element statement : children(section, name)) {
        switch (statement.getTagName()) {
          case "base" -> {
            attributes(statement, name, Set.of());
            noChildren(statement, name + "/base");
          }
          case "validate-jwt" -> {
            requireInbound(statement, name);
            inbound.add(validateJwt(statement, name));
          }
          case "set-header" -> {
            requireInbound(statement, name);
            inbound.add(setHeader(statement, name));
          }
          case "rate-limit" -> {
            requireInbound(statement, name);
            if (inbound.stream().anyMatch(RateLimit.class::isInstance)) {
              // Microsoft's rate-limit reference: "used only once per policy definition".
              throw problem(
                  "<rate-limit> appears twice at "
                      + name
                      + " (API Management allows it once per policy)");
            }
            inbound.add(rateLimit(statement, name));
          }
          default -> throw unsupported(statement, name);
        }
      }
    }
    return new Policy(xml, inbound);
  }

  private void requireInbound(Element statement, String section) {
    if (!section.equals("inbound")) {
      throw unsupported(statement, section);
    }
  }

  // ---- <rate-limit> ----

  private RateLimit rateLimit(Element element, String at) {
    Map<String, String> attributes = attributes(element, at, Set.of("calls", "renewal-period"));
    noChildren(element, at + "/rate-limit");
    String where = "<rate-limit> at " + at;
    for (String required : List.of("calls", "renewal-period")) {
      if (!attributes.containsKey(required)) {
        throw problem(where + ": " + required + " is missing");
      }
    }
    return new RateLimit(
        integer(attributes.get("calls"), 1, Integer.MAX_VALUE, where + ": calls"),
        // APIM's limit on the period.
        integer(attributes.get("renewal-period"), 1, 300, where + ": renewal-period (seconds)"));
  }

  // ---- <set-header> ----

  private SetHeader setHeader(Element element, String at) {
    Map<String, String> attributes = attributes(element, at, Set.of("name", "exists-action"));
    String where = "<set-header> at " + at;
    String name = attributes.get("name");
    if (name == null || !Checks.HEADER_NAME.matcher(name).matches()) {
      throw problem(
          where
              + ": name must be a header name"
              + (name == null ? " (missing)" : " (was " + Checks.quote(name) + ")"));
    }
    SetHeader.ExistsAction action = SetHeader.ExistsAction.OVERRIDE;
    String actionValue = attributes.get("exists-action");
    if (actionValue != null) {
      try {
        action = SetHeader.ExistsAction.valueOf(actionValue.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw problem(
            where
                + ": exists-action must be override, skip, append or delete (was "
                + Checks.quote(actionValue)
                + ")");
      }
    }
    String inside = at + "/set-header";
    List<String> values = new ArrayList<>();
    for (Element child : children(element, inside)) {
      if (!child.getTagName().equals("value")) {
        throw unsupported(child, inside);
      }
      String value = text(child, inside);
      if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw problem(where + ": a header value must not contain a line break");
      }
      values.add(value);
    }
    if (values.isEmpty() && action != SetHeader.ExistsAction.DELETE) {
      throw problem(where + ": needs a <value> unless exists-action is \"delete\"");
    }
    return new SetHeader(name, action, values);
  }

  // ---- <validate-jwt> ----

  private ValidateJwt validateJwt(Element element, String at) {
    Map<String, String> attributes = attributes(element, at, VALIDATE_JWT_ATTRIBUTES);
    String where = "<validate-jwt> at " + at;
    List<TokenSource> sources = new ArrayList<>();
    if (attributes.containsKey("header-name")) {
      sources.add(new ValidateJwt.FromHeader(nonEmpty(attributes, "header-name", where)));
    }
    if (attributes.containsKey("query-parameter-name")) {
      sources.add(
          new ValidateJwt.FromQueryParameter(nonEmpty(attributes, "query-parameter-name", where)));
    }
    if (attributes.containsKey("token-value")) {
      sources.add(new ValidateJwt.Literal(nonEmpty(attributes, "token-value", where)));
    }
    if (sources.size() != 1) {
      throw problem(
          where + ": needs exactly one of header-name, query-parameter-name or token-value");
    }
    int httpCode = ValidateJwt.DEFAULT_HTTP_CODE;
    String code = attributes.get("failed-validation-httpcode");
    if (code != null) {
      httpCode = integer(code, 100, 599, where + ": failed-validation-httpcode");
    }
    String message = attributes.get("failed-validation-error-message");
    boolean requireExpirationTime = bool(attributes, "require-expiration-time", where);
    boolean requireSignedTokens = bool(attributes, "require-signed-tokens", where);
    String requireScheme = null;
    if (attributes.containsKey("require-scheme")) {
      requireScheme = nonEmpty(attributes, "require-scheme", where);
    }
    Duration clockSkew = Duration.ZERO;
    String skew = attributes.get("clock-skew");
    if (skew != null) {
      clockSkew =
          Duration.ofSeconds(integer(skew, 0, Integer.MAX_VALUE, where + ": clock-skew (seconds)"));
    }

    String inside = at + "/validate-jwt";
    List<URI> openIdConfigs = new ArrayList<>();
    List<JWK> keys = new ArrayList<>();
    List<String> audiences = new ArrayList<>();
    List<String> issuers = new ArrayList<>();
    List<RequiredClaim> claims = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Element child : children(element, inside)) {
      String name = child.getTagName();
      if (!name.equals("openid-config") && !seen.add(name)) {
        throw problem("<" + name + "> appears twice at " + inside);
      }
      switch (name) {
        case "openid-config" -> openIdConfigs.add(openIdConfig(child, inside));
        case "issuer-signing-keys" -> {
          attributes(child, inside, Set.of());
          for (Element key : children(child, inside + "/" + name)) {
            keys.add(key(key, inside + "/" + name));
          }
        }
        case "audiences" -> {
          audiences.addAll(texts(child, "audience", inside));
          if (audiences.isEmpty()) {
            // Microsoft's validate-jwt reference: "At least one audience must be specified."
            throw problem("<audiences> at " + inside + " needs at least one <audience>");
          }
        }
        case "issuers" -> issuers.addAll(texts(child, "issuer", inside));
        case "required-claims" -> {
          attributes(child, inside, Set.of());
          for (Element claim : children(child, inside + "/" + name)) {
            claims.add(claim(claim, inside + "/" + name));
          }
        }
        default -> throw unsupported(child, inside);
      }
    }
    return new ValidateJwt(
        sources.get(0),
        httpCode,
        message,
        requireExpirationTime,
        requireSignedTokens,
        requireScheme,
        clockSkew,
        openIdConfigs,
        keys,
        audiences,
        issuers,
        claims);
  }

  private URI openIdConfig(Element element, String at) {
    Map<String, String> attributes =
        attributes(element, at, Set.of("url", "validate-connectivity"));
    String url = attributes.get("url");
    noChildren(element, at + "/openid-config");
    String where = "<openid-config> at " + at;
    if (url == null) {
      throw problem(where + ": url is missing");
    }
    // API Management's check that the URL is reachable, when a policy is saved; this gateway checks
    // nothing at load, so the value only has to be one.
    bool(attributes, "validate-connectivity", where);
    try {
      URI uri = new URI(url);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw problem(where + ": url must be an absolute http(s) URL (was " + Checks.quote(url) + ")");
  }

  private JWK key(Element element, String at) {
    if (!element.getTagName().equals("key")) {
      throw unsupported(element, at);
    }
    Map<String, String> attributes = attributes(element, at, Set.of("n", "e", "id"));
    String where = "<key> at " + at;
    // "Identifier used to match kid claim presented in JWT" (Microsoft's validate-jwt reference).
    String id = attributes.remove("id");
    if (id != null && id.isBlank()) {
      throw problem(where + ": id must not be empty");
    }
    String secret = text(element, at).trim();
    if (attributes.isEmpty()) {
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(secret);
      } catch (IllegalArgumentException e) {
        throw problem(where + ": an HMAC key must be base64 (" + e.getMessage() + ")");
      }
      if (bytes.length < 32) {
        throw problem(
            where + ": an HMAC key must be at least 256 bits (was " + bytes.length * 8 + ")");
      }
      return new OctetSequenceKey.Builder(bytes).keyID(id).build();
    }
    String n = attributes.get("n");
    String e = attributes.get("e");
    if (n == null || e == null || !secret.isEmpty()) {
      throw problem(where + ": give either a base64 HMAC key as text, or an RSA key as n and e");
    }
    try {
      RSAKey key = new RSAKey.Builder(new Base64URL(n), new Base64URL(e)).keyID(id).build();
      key.toRSAPublicKey();
      return key;
    } catch (JOSEException | RuntimeException x) {
      throw problem(where + ": not an RSA public key (" + x.getMessage() + ")");
    }
  }

  private List<String> texts(Element list, String itemName, String at) {
    attributes(list, at, Set.of());
    String inside = at + "/" + list.getTagName();
    List<String> values = new ArrayList<>();
    for (Element item : children(list, inside)) {
      if (!item.getTagName().equals(itemName)) {
        throw unsupported(item, inside);
      }
      attributes(item, inside, Set.of());
      String value = text(item, inside).trim();
      if (value.isEmpty()) {
        throw problem("<" + itemName + "> at " + inside + " must not be empty");
      }
      values.add(value);
    }
    return values;
  }

  private RequiredClaim claim(Element element, String at) {
    if (!element.getTagName().equals("claim")) {
      throw unsupported(element, at);
    }
    Map<String, String> attributes = attributes(element, at, Set.of("name", "match", "separator"));
    String where = "<claim> at " + at;
    String name = nonEmpty(attributes, "name", where);
    String match = attributes.getOrDefault("match", "all");
    if (!match.equals("all") && !match.equals("any")) {
      throw problem(where + ": match must be all or any (was " + Checks.quote(match) + ")");
    }
    String separator = attributes.get("separator");
    if (separator != null && separator.isEmpty()) {
      throw problem(where + ": separator must not be empty");
    }
    String inside = at + "/claim";
    List<String> values = new ArrayList<>();
    for (Element value : children(element, inside)) {
      if (!value.getTagName().equals("value")) {
        throw unsupported(value, inside);
      }
      values.add(text(value, inside));
    }
    return new RequiredClaim(name, match.equals("all"), separator, values);
  }

  // ---- XML ----

  private Document read(String xml) {
    if (xml == null || xml.isBlank()) {
      throw problem("the document is empty");
    }
    try {
      DocumentBuilder builder = factory().newDocumentBuilder();
      builder.setErrorHandler(THROWING);
      return builder.parse(new InputSource(new StringReader(xml)));
    } catch (SAXParseException e) {
      throw problem(
          "not well-formed XML (line "
              + e.getLineNumber()
              + ", column "
              + e.getColumnNumber()
              + "): "
              + e.getMessage());
    } catch (SAXException | IOException e) {
      throw problem("not well-formed XML: " + e.getMessage());
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK's XML parser cannot be configured safely", e);
    }
  }

  /** The JDK's parser with DTDs, external entities and XInclude off (no XXE). */
  private static DocumentBuilderFactory factory() throws ParserConfigurationException {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
    factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
    factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    factory.setXIncludeAware(false);
    factory.setExpandEntityReferences(false);
    factory.setNamespaceAware(false);
    factory.setIgnoringComments(true);
    return factory;
  }

  private static final ErrorHandler THROWING =
      new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {}

        @Override
        public void error(SAXParseException e) throws SAXException {
          throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
          throw e;
        }
      };

  /** The child elements; text other than white space is refused. */
  private List<Element> children(Element parent, String at) {
    List<Element> elements = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node node = nodes.item(i);
      switch (node.getNodeType()) {
        case Node.ELEMENT_NODE -> elements.add((Element) node);
        case Node.TEXT_NODE, Node.CDATA_SECTION_NODE -> {
          String text = node.getNodeValue().strip();
          if (!text.isEmpty()) {
            throw problem("unexpected text " + Checks.quote(abbreviate(text)) + " at " + at);
          }
        }
        default -> {
          // comments and processing instructions carry no policy
        }
      }
    }
    return elements;
  }

  private void noChildren(Element element, String at) {
    for (Element child : children(element, at)) {
      throw unsupported(child, at);
    }
  }

  /** The text of a leaf element; a child element or a policy expression is refused. */
  private String text(Element element, String at) {
    StringBuilder text = new StringBuilder();
    NodeList nodes = element.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node node = nodes.item(i);
      if (node.getNodeType() == Node.ELEMENT_NODE) {
        throw unsupported((Element) node, at + "/" + element.getTagName());
      }
      if (node.getNodeType() == Node.TEXT_NODE || node.getNodeType() == Node.CDATA_SECTION_NODE) {
        text.append(node.getNodeValue());
      }
    }
    String value = text.toString();
    refuseExpression(value, "<" + element.getTagName() + "> at " + at);
    return value;
  }

  /** The attributes, all of them among {@code supported}; policy expressions are refused. */
  private Map<String, String> attributes(Element element, String at, Set<String> supported) {
    Map<String, String> attributes = new LinkedHashMap<>();
    NamedNodeMap nodes = element.getAttributes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node attribute = nodes.item(i);
      String name = attribute.getNodeName();
      String where = "<" + element.getTagName() + ">" + (at.isEmpty() ? "" : " at " + at);
      if (!supported.contains(name)) {
        throw problem("unsupported attribute " + name + " on " + where);
      }
      refuseExpression(attribute.getNodeValue(), name + " on " + where);
      attributes.put(name, attribute.getNodeValue());
    }
    return attributes;
  }

  private void refuseExpression(String value, String where) {
    String trimmed = value.strip();
    if (trimmed.startsWith("@(") || trimmed.startsWith("@{")) {
      throw problem(
          "policy expressions are not supported ("
              + where
              + " was "
              + Checks.quote(abbreviate(trimmed))
              + ")");
    }
    // API Management replaces {{name}} with a named value before it reads the policy (Microsoft's
    // "Use named values in Azure API Management policies"); this gateway has none, and taken
    // literally an audience would refuse every token and a header value would reach the backend.
    if (NAMED_VALUE.matcher(value).find()) {
      throw problem(
          "named values are not supported ("
              + where
              + " was "
              + Checks.quote(abbreviate(trimmed))
              + "); write the value itself");
    }
  }

  private String nonEmpty(Map<String, String> attributes, String name, String where) {
    String value = attributes.get(name);
    if (value == null || value.isBlank()) {
      throw problem(where + ": " + name + (value == null ? " is missing" : " must not be empty"));
    }
    return value;
  }

  private boolean bool(Map<String, String> attributes, String name, String where) {
    String value = attributes.getOrDefault(name, "true");
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw problem(where + ": " + name + " must be true or false (was " + Checks.quote(value) + ")");
  }

  private int integer(String value, int min, int max, String what) {
    try {
      int number = Integer.parseInt(value.strip());
      if (number >= min && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    String range = max == Integer.MAX_VALUE ? " of at least " + min : " from " + min + " to " + max;
    throw problem(what + " must be an integer" + range + " (was " + Checks.quote(value) + ")");
  }

  private static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  private GatewayConfigException unsupported(Element element, String at) {
    return problem("unsupported policy element <" + element.getTagName() + "> at " + at);
  }

  private GatewayConfigException problem(String what) {
    return new GatewayConfigException(document + ": " + what);
  }
}
