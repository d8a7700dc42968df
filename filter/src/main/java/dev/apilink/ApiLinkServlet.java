package dev.apilink;

import dev.apilink.config.Loggers;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.ServletResponseWrapper;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.MappingMatch;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The async-supported servlet behind {@code /api/*}. A request can only be proxied without holding
 * a thread if the servlet it maps to supports async, and the containers' default servlets (Tomcat's
 * and Jetty's) do not. {@link ApiLinkFilter} answers every request it proxies, so this servlet only
 * sees those the filter lets through (an environment that is not linked): it hands them to the
 * servlet that would have served them without ApiLink (the application's own, for {@code /api/*},
 * {@code /*}, their extension or {@code /}, else the container's default servlet), as if ApiLink
 * were not there.
 */
public final class ApiLinkServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private static final String API_PATTERN = "/api/*";
  private static final Logger LOG = Loggers.named("dev.apilink");

  /** The application's own servlet for {@code /api/*}, which this one displaced; else null. */
  private String displaced;

  /**
   * The application's own servlet for {@code /} in place of the container's default servlet (Spring
   * MVC's {@code DispatcherServlet}), which served {@code /api} before this one took it; else null.
   */
  private String root;

  /**
   * The application's own servlet for {@code /*} (a JAX-RS servlet mapped so, or Jersey's for an
   * {@code @ApplicationPath("/")}), which {@code /api/*} wins over; else null.
   */
  private String everything;

  /**
   * The servlets mapped to an extension, by extension ({@code jsp} to the container's JSP servlet),
   * which {@code /api/*} wins over: without them, a JSP under {@code /api} went to the default
   * servlet, which sent its source.
   */
  private Map<String, String> extensions = Map.of();

  /**
   * Finds the application's own servlet for {@code /api/*}, if any. Tomcat keeps that servlet's
   * mapping over the web-fragment's, and this servlet never sees a request; Jetty gives the pattern
   * to this servlet and leaves the application's with no mapping at all (a reviewer's unlinked
   * application answered 404 where its own servlet had served {@code /api}), so only the
   * application's {@code web.xml} still tells which it was, or, for a servlet mapped only by
   * {@code @WebServlet} (which Jetty registers without its mapping), its annotation, or for the
   * servlet that a JAX-RS initializer registered for an {@code @ApplicationPath("/api")} (left
   * unmapped on both containers), that application's annotation. Requests that ApiLink does not
   * proxy then go to that servlet, as they would without ApiLink; failing one, to the servlet that
   * the container would have chosen for them without {@code /api/*}: one for {@code /*}, one for
   * their extension, or the one for {@code /}.
   */
  @Override
  public void init() {
    String mapped = mappedInWebXml(getServletContext(), API_PATTERN);
    if (mapped == null) {
      mapped = mappedByAnnotationOnly(getServletContext(), API_PATTERN);
    }
    if (mapped != null && !mapped.equals(getServletName())) {
      displaced = mapped;
    }
    root = mappedTo(getServletContext(), "/", getServletName());
    everything = mappedTo(getServletContext(), "/*", getServletName());
    extensions = mappedToExtensions(getServletContext(), getServletName());
    // A displaced servlet that kept its /api/* mapping (Tomcat's choice) gets those requests
    // itself.
    ServletRegistration own =
        displaced == null ? null : getServletContext().getServletRegistration(displaced);
    String handedTo = own != null && own.getMappings().contains(API_PATTERN) ? null : displaced;
    List<String> handedToServlets = new ArrayList<>(extensions.values());
    handedToServlets.addAll(Arrays.asList(handedTo, root, everything));
    for (String warning :
        filtersMappedByNameOnly(
            getServletContext(), getServletName(), handedToServlets.toArray(new String[0]))) {
      LOG.warning(warning);
    }
  }

  /**
   * A warning for each filter mapped by servlet name to {@code servlets} (the application's own
   * servlet for {@code /api/*} or for {@code /}) and not to {@code self}: while the environment is
   * not linked, an {@code /api} request maps to {@code self}, which hands it to that servlet by a
   * forward, so such a filter runs for it only if it is also mapped to forwards, which the Servlet
   * API does not tell. An authentication filter mapped so would leave {@code /api} unguarded (found
   * by review on Tomcat 11.0.24, 10.1.59 and Jetty 12.1.12).
   */
  static List<String> filtersMappedByNameOnly(
      ServletContext context, String self, String... servlets) {
    List<String> warnings = new ArrayList<>();
    for (Map.Entry<String, ? extends FilterRegistration> entry :
        context.getFilterRegistrations().entrySet()) {
      Collection<String> names = entry.getValue().getServletNameMappings();
      if (names.contains(self)) {
        continue;
      }
      for (String servlet : servlets) {
        if (servlet != null && names.contains(servlet)) {
          warnings.add(
              "ApiLink: the filter \""
                  + entry.getKey()
                  + "\" is mapped to the servlet \""
                  + servlet
                  + "\" by name; while this environment is not linked, ApiLinkServlet hands /api"
                  + " requests to that servlet by a forward, and the filter runs for them only if it"
                  + " is also mapped to FORWARD dispatches. Map it to a URL pattern such as /*, or"
                  + " to the servlet \""
                  + self
                  + "\" as well.");
        }
      }
    }
    return warnings;
  }

  /**
   * The name of the servlet mapped to {@code pattern}, other than the container's own {@code
   * default} and {@code self}; else null.
   */
  static String mappedTo(ServletContext context, String pattern, String self) {
    for (Map.Entry<String, ? extends ServletRegistration> entry :
        context.getServletRegistrations().entrySet()) {
      String name = entry.getKey();
      if (!name.equals(self)
          && !name.equals("default")
          && entry.getValue().getMappings().contains(pattern)) {
        return name;
      }
    }
    return null;
  }

  /** The servlets mapped to an extension ({@code *.jsp}), by extension, other than {@code self}. */
  static Map<String, String> mappedToExtensions(ServletContext context, String self) {
    Map<String, String> byExtension = new HashMap<>();
    for (Map.Entry<String, ? extends ServletRegistration> entry :
        context.getServletRegistrations().entrySet()) {
      if (entry.getKey().equals(self)) {
        continue;
      }
      for (String pattern : entry.getValue().getMappings()) {
        if (pattern.startsWith("*.")) {
          byExtension.putIfAbsent(pattern.substring(2), entry.getKey());
        }
      }
    }
    return byExtension;
  }

  /**
   * The name of a servlet registered without any mapping whose {@code @WebServlet} maps it to
   * {@code pattern}: Jetty's state for an application servlet whose annotated pattern the
   * web-fragment's servlet took. Or one named after a JAX-RS application whose
   * {@code @ApplicationPath} gives {@code pattern}: Jersey's and RESTEasy's initializers register
   * such a servlet after the fragment's, and leave it unmapped when its pattern is taken (Jersey
   * 3.1.12 logs "Mapping conflict"), on Tomcat as on Jetty.
   */
  static String mappedByAnnotationOnly(ServletContext context, String pattern) {
    ClassLoader loader = context.getClassLoader();
    if (loader == null) {
      loader = Thread.currentThread().getContextClassLoader();
    }
    for (Map.Entry<String, ? extends ServletRegistration> entry :
        context.getServletRegistrations().entrySet()) {
      ServletRegistration registration = entry.getValue();
      if (!registration.getMappings().isEmpty()) {
        continue;
      }
      if (pattern.equals(applicationPathOf(entry.getKey(), loader))) {
        return entry.getKey();
      }
      if (registration.getClassName() == null) {
        continue;
      }
      WebServlet annotation;
      try {
        annotation =
            Class.forName(registration.getClassName(), false, loader)
                .getAnnotation(WebServlet.class);
      } catch (ClassNotFoundException | LinkageError e) {
        continue; // not a class ApiLink can inspect; nothing is lost but the forwarding
      }
      if (annotation != null
          && (Arrays.asList(annotation.value()).contains(pattern)
              || Arrays.asList(annotation.urlPatterns()).contains(pattern))) {
        return entry.getKey();
      }
    }
    return null;
  }

  /**
   * The servlet pattern that the JAX-RS specification gives the application class {@code name} from
   * its {@code @ApplicationPath} ({@code "api"}, {@code "/api"} and {@code "/api/*"} are all {@code
   * /api/*}), if {@code loader} finds such a class; else null. The annotation is read by its name:
   * the application brings the JAX-RS API, ApiLink does not.
   */
  static String applicationPathOf(String name, ClassLoader loader) {
    try {
      for (Annotation annotation : Class.forName(name, false, loader).getAnnotations()) {
        if (annotation.annotationType().getName().equals("jakarta.ws.rs.ApplicationPath")) {
          String path = (String) annotation.annotationType().getMethod("value").invoke(annotation);
          String pattern = path.startsWith("/") ? path : "/" + path;
          if (pattern.endsWith("/*")) {
            return pattern;
          }
          return pattern.endsWith("/") ? pattern + "*" : pattern + "/*";
        }
      }
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      // not a class ApiLink can inspect (most servlet names are not class names)
    }
    return null;
  }

  /** The name of the servlet that the application's {@code web.xml} maps to {@code pattern}. */
  static String mappedInWebXml(ServletContext context, String pattern) {
    try (InputStream in = context.getResourceAsStream("/WEB-INF/web.xml")) {
      if (in == null) {
        return null;
      }
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
      factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      factory.setExpandEntityReferences(false);
      factory.setNamespaceAware(true);
      Document document = factory.newDocumentBuilder().parse(in);
      NodeList mappings = document.getElementsByTagNameNS("*", "servlet-mapping");
      for (int i = 0; i < mappings.getLength(); i++) {
        Element mapping = (Element) mappings.item(i);
        NodeList patterns = mapping.getElementsByTagNameNS("*", "url-pattern");
        for (int j = 0; j < patterns.getLength(); j++) {
          if (patterns.item(j).getTextContent().trim().equals(pattern)) {
            NodeList names = mapping.getElementsByTagNameNS("*", "servlet-name");
            return names.getLength() == 0 ? null : names.item(0).getTextContent().trim();
          }
        }
      }
      return null;
    } catch (IOException | ParserConfigurationException | SAXException e) {
      // The container parsed it to deploy the application; if ApiLink cannot, nothing is lost
      // but the forwarding to the application's own /api servlet.
      return null;
    }
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws ServletException, IOException {
    if (displaced != null) {
      RequestDispatcher own = getServletContext().getNamedDispatcher(displaced);
      if (own != null) {
        handOn(own, request, response);
        return;
      }
    }
    // As the container maps a path that no exact or longer path pattern takes: "/*", else the
    // path's extension, else "/".
    String path = AsMapped.pathOf(request);
    String servlet;
    String pattern;
    String extension = extensionOf(path);
    if (everything != null) {
      servlet = everything;
      pattern = "/*";
    } else if (extension != null && extensions.containsKey(extension)) {
      servlet = extensions.get(extension);
      pattern = "*." + extension;
    } else {
      servlet = root != null ? root : "default";
      pattern = "/";
    }
    RequestDispatcher dispatcher = getServletContext().getNamedDispatcher(servlet);
    if (dispatcher == null) {
      response.sendError(HttpServletResponse.SC_NOT_FOUND);
      return;
    }
    handOn(dispatcher, new AsMapped(request, servlet, pattern, path), response);
  }

  /** The extension of the last segment of {@code path} (after its last dot), or null if none. */
  static String extensionOf(String path) {
    int slash = path.lastIndexOf('/');
    int dot = path.lastIndexOf('.');
    return dot > slash ? path.substring(dot + 1) : null;
  }

  /**
   * Hands the request on to {@code servlet} by a forward, as if the servlet had been mapped to it;
   * but an included request by an include, which leaves the including page's answer as it is (a
   * forward would clear what it wrote and close it), and the async dispatch of an answer that the
   * servlet has already begun to send (Spring MVC's {@code StreamingResponseBody} or {@code
   * SseEmitter}, past the response's buffer) by an include, which lets the servlet end it: a
   * forward cannot follow a committed response (Tomcat and Jetty throw {@code
   * IllegalStateException}, and the answer was broken off, its chunked coding never ended), and
   * nothing that a forward would let the servlet change can change any more.
   */
  private static void handOn(
      RequestDispatcher servlet, HttpServletRequest request, HttpServletResponse response)
      throws ServletException, IOException {
    if (request.getDispatcherType() == DispatcherType.INCLUDE
        || request.getDispatcherType() == DispatcherType.ASYNC && response.isCommitted()) {
      servlet.include(request, response);
      return;
    }
    HttpServletResponse handedOn = handedOn(response);
    servlet.forward(
        handedOn == response || request instanceof HandingOn ? request : new HandingOn(request),
        handedOn);
  }

  /**
   * The response to forward with. Once a forward returns, Tomcat 11 suspends the container's
   * response underneath a filter's wrapper (its context's {@code
   * suspendWrappedResponseAfterForward}, true by default since 11): what a filter on {@code /*}
   * writes after its chain returns (a buffering filter such as Spring's {@code
   * ShallowEtagHeaderFilter}, the error page of Spring Boot's {@code ErrorPageFilter}) would be
   * lost, where without ApiLink no forward happens and it reaches the client. Tomcat does this only
   * for a {@link ServletResponseWrapper} around its own response; any other response it closes
   * through its writer or stream, which is what Tomcat 10.1 does with a wrapper too. So on Tomcat a
   * wrapped response is handed on behind a plain object that passes every call to it.
   *
   * <p>Jetty closes the wrapper it is given, so there the response goes on as it is. So it does
   * where Tomcat checks that a forward gets the response its servlet was given or a wrapper of it
   * (the context's {@code dispatcherWrapsSameObject}, on with {@code STRICT_SERVLET_COMPLIANCE}),
   * as the Servlet specification lists: there the plain object would be refused with a 500.
   */
  static HttpServletResponse handedOn(HttpServletResponse response) {
    ServletResponse inner = response;
    while (inner instanceof ServletResponseWrapper wrapper) {
      inner = wrapper.getResponse();
    }
    if (inner == response
        || !inner.getClass().getName().equals("org.apache.catalina.connector.ResponseFacade")
        || checksWhatIsForwarded(inner.getClass().getClassLoader())) {
      return response;
    }
    return (HttpServletResponse)
        Proxy.newProxyInstance(
            ApiLinkServlet.class.getClassLoader(),
            new Class<?>[] {HttpServletResponse.class},
            new PassOn(response));
  }

  /**
   * What the object that {@link #handedOn} makes does: it passes every call to {@code response}.
   */
  private record PassOn(HttpServletResponse response) implements InvocationHandler {
    @Override
    public Object invoke(Object self, Method method, Object[] arguments) throws Throwable {
      if (method.getName().equals("equals") && method.getParameterCount() == 1) {
        return self == arguments[0];
      }
      if (method.getName().equals("hashCode") && method.getParameterCount() == 0) {
        return System.identityHashCode(self);
      }
      try {
        return method.invoke(response, arguments);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  /**
   * {@code response} with the object that {@link #handedOn} made replaced by the response it stands
   * for, where it is {@code response} or what one of its wrappers wraps. A servlet that goes async
   * (Spring MVC for a {@code Callable} or a {@code DeferredResult}) gives {@code startAsync} the
   * response it was given, perhaps in a wrapper of its own; the async dispatch then carries that
   * response through the filters, and a filter that looks for its own wrapper among its wrappers
   * ({@code ShallowEtagHeaderFilter}) would not find it behind the delegating object. So the
   * servlet's wrapper is set to wrap the response itself ({@link
   * ServletResponseWrapper#setResponse}). What is written from then on (the events of an {@code
   * SseEmitter}) reaches the same response; the delegating object was only there for the end of the
   * forward, where Tomcat neither closes nor suspends a response that has gone async. The async
   * dispatch comes back to {@code ApiLinkServlet} and is handed on anew.
   */
  private static ServletResponse withoutPassOn(ServletResponse response) {
    HttpServletResponse itself = passedOnBy(response);
    if (itself != null) {
      return itself;
    }
    for (ServletResponse outer = response;
        outer instanceof ServletResponseWrapper wrapper;
        outer = wrapper.getResponse()) {
      HttpServletResponse inner = passedOnBy(wrapper.getResponse());
      if (inner != null) {
        wrapper.setResponse(inner);
        break;
      }
    }
    return response;
  }

  /** The response that {@code response} passes every call to, if {@link #handedOn} made it. */
  private static HttpServletResponse passedOnBy(ServletResponse response) {
    return Proxy.isProxyClass(response.getClass())
            && Proxy.getInvocationHandler(response) instanceof PassOn passOn
        ? passOn.response()
        : null;
  }

  /**
   * Whether Tomcat, whose classes {@code tomcat} loads, checks what this request's forward is
   * given: it then keeps the response the servlet was given, for the duration of its service, in
   * {@code ApplicationFilterChain.getLastServicedResponse()}. If that cannot be told, true.
   */
  private static boolean checksWhatIsForwarded(ClassLoader tomcat) {
    try {
      return Class.forName("org.apache.catalina.core.ApplicationFilterChain", false, tomcat)
              .getMethod("getLastServicedResponse")
              .invoke(null)
          != null;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return true;
    }
  }

  /** The request handed on with the object {@link #handedOn} made. */
  private static class HandingOn extends HttpServletRequestWrapper {
    HandingOn(HttpServletRequest request) {
      super(request);
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
      return super.startAsync(request, withoutPassOn(response));
    }
  }

  /**
   * The request as the servlet that it is handed to would have seen it had the container mapped it
   * there: by {@code /} (the default servlet, or Spring MVC's {@code DispatcherServlet}), by {@code
   * /*} or by an extension ({@code *.jsp}).
   *
   * <p>Tomcat puts its wrapper for a dispatch beneath the application's wrappers, this one among
   * them ({@link #setRequest}): first for the forward that hands this request on, then for each
   * forward, include or async dispatch that the servlet makes to another path. Those dispatches'
   * paths are Tomcat's wrapper's to tell, so this one tells its own only while it wraps the request
   * it was made with or Tomcat's wrapper for the forward (before, a JSP that the servlet forwarded
   * to was looked for at the {@code /api} path, and answered 404). It tells the forward's
   * dispatcher type, {@code FORWARD}, as the container does (telling the type {@code
   * ApiLinkServlet} was given made a Spring Boot WAR's {@code Callable} answer empty under {@code
   * ShallowEtagHeaderFilter}). An included request keeps the including page's paths, as any include
   * does, and tells its own in the include's attributes, as the servlet's own mapping would have
   * set them.
   */
  private static final class AsMapped extends HandingOn {
    private final String path;
    private final String servlet;
    private final String pattern;
    private final ServletRequest given;
    private final DispatcherType type;
    private final Map<String, Object> included = new HashMap<>();
    private final String uri;
    private ServletRequest forwarded;

    AsMapped(HttpServletRequest request, String servlet, String pattern, String path) {
      super(request);
      this.servlet = servlet;
      this.pattern = pattern;
      this.path = path;
      this.given = request;
      this.type = request.getDispatcherType();
      this.uri = request.getRequestURI();
      if (type == DispatcherType.INCLUDE) {
        for (String name :
            new String[] {
              RequestDispatcher.INCLUDE_REQUEST_URI,
              RequestDispatcher.INCLUDE_CONTEXT_PATH,
              RequestDispatcher.INCLUDE_QUERY_STRING
            }) {
          Object value = request.getAttribute(name);
          if (value != null) {
            included.put(name, value);
          }
        }
      }
    }

    /**
     * The path of {@code request} within the application: for an included request, the included
     * path (the include's attributes).
     */
    static String pathOf(HttpServletRequest request) {
      if (request.getDispatcherType() == DispatcherType.INCLUDE) {
        String servletPath = (String) request.getAttribute(RequestDispatcher.INCLUDE_SERVLET_PATH);
        String pathInfo = (String) request.getAttribute(RequestDispatcher.INCLUDE_PATH_INFO);
        return pathInfo == null ? servletPath : servletPath + pathInfo;
      }
      String pathInfo = request.getPathInfo();
      return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
    }

    /** The servlet path its mapping gives: none for {@code /*}, else the whole path. */
    private String mappedServletPath() {
      return pattern.equals("/*") ? "" : path;
    }

    /** The path info its mapping gives: the whole path for {@code /*}, else none. */
    private String mappedPathInfo() {
      return pattern.equals("/*") ? path : null;
    }

    @Override
    public void setRequest(ServletRequest request) {
      if (forwarded == null && request != given) {
        forwarded = request;
      }
      super.setRequest(request);
    }

    /**
     * Whether this wraps the request it was made with, or Tomcat's wrapper for its forward, and the
     * request still has its URI. Behind a filter that wraps the request (Spring Security's), Tomcat
     * puts its wrapper for the servlet's own forward beneath the filter's, not beneath this one;
     * the forward's URI then tells it (before, there too a JSP forwarded to was looked for at the
     * {@code /api} path).
     */
    private boolean asRoot() {
      ServletRequest inner = getRequest();
      return (inner == given || inner == forwarded) && uri.equals(super.getRequestURI());
    }

    /** Whether it tells its own paths: for an included request, the include's attributes. */
    private boolean tellsItsPaths() {
      return asRoot() && type != DispatcherType.INCLUDE;
    }

    @Override
    public String getServletPath() {
      return tellsItsPaths() ? mappedServletPath() : super.getServletPath();
    }

    @Override
    public String getPathInfo() {
      return tellsItsPaths() ? mappedPathInfo() : super.getPathInfo();
    }

    @Override
    public HttpServletMapping getHttpServletMapping() {
      return tellsItsPaths() ? mapping() : super.getHttpServletMapping();
    }

    /**
     * For an included request, the include's attributes as the servlet's own mapping would have set
     * them: the containers hide the include's own from a servlet included by name (on Jetty, whose
     * wrapper for the include the servlet is given over this one, they stay hidden).
     */
    @Override
    public Object getAttribute(String name) {
      if (asRoot() && type == DispatcherType.INCLUDE) {
        switch (name) {
          case RequestDispatcher.INCLUDE_SERVLET_PATH:
            return mappedServletPath();
          case RequestDispatcher.INCLUDE_PATH_INFO:
            return mappedPathInfo();
          case RequestDispatcher.INCLUDE_MAPPING:
            return mapping();
          case RequestDispatcher.INCLUDE_REQUEST_URI,
          RequestDispatcher.INCLUDE_CONTEXT_PATH,
          RequestDispatcher.INCLUDE_QUERY_STRING:
            return included.get(name);
          default:
            break;
        }
      }
      return super.getAttribute(name);
    }

    /** The mapping as the container tells it for {@link #pattern}. */
    private HttpServletMapping mapping() {
      MappingMatch match;
      String value;
      if (pattern.equals("/*")) {
        match = MappingMatch.PATH;
        value = path.substring(1);
      } else if (pattern.startsWith("*.")) {
        match = MappingMatch.EXTENSION;
        value = path.substring(1, path.length() - pattern.length() + 1);
      } else {
        match = MappingMatch.DEFAULT;
        value = "";
      }
      return new HttpServletMapping() {
        @Override
        public String getMatchValue() {
          return value;
        }

        @Override
        public String getPattern() {
          return pattern;
        }

        @Override
        public String getServletName() {
          return servlet;
        }

        @Override
        public MappingMatch getMappingMatch() {
          return match;
        }
      };
    }
  }
}
