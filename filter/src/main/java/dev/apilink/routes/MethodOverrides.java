package dev.apilink.routes;

import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;

/**
 * The methods a request names besides its own, which many backends take as the method: {@code
 * X-HTTP-Method-Override}, {@code X-HTTP-Method} and {@code X-Method-Override} (Express's
 * method-override, ASP.NET, OData; in any case, and with {@code _} for {@code -} as CGI, WSGI and
 * Rack servers read them), the {@code _method} query parameter (Spring's {@code
 * HiddenHttpMethodFilter}, Laravel, Rails) and {@code X-HTTP-Method-Override} as a query parameter
 * too (ASP.NET MVC). A route rule that refuses DELETE must refuse a POST that a backend will run as
 * DELETE. Form fields in the body are not read: ApiLink streams bodies.
 */
public final class MethodOverrides {

  private static final List<String> HEADERS =
      List.of("x-http-method-override", "x-http-method", "x-method-override");

  private static final String PARAMETER = "_method";

  /** The header that ASP.NET MVC also reads as a query parameter. */
  private static final String QUERY_HEADER = "x-http-method-override";

  private MethodOverrides() {}

  /** The methods, upper case, that {@code request} names besides its own; usually none. */
  public static List<String> of(HttpServletRequest request) {
    List<String> methods = List.of();
    for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements(); ) {
      String name = names.nextElement();
      if (name.length() >= 13
          && (name.charAt(0) == 'x' || name.charAt(0) == 'X')
          && HEADERS.contains(name.replace('_', '-').toLowerCase(Locale.ROOT))) {
        for (Enumeration<String> values = request.getHeaders(name); values.hasMoreElements(); ) {
          methods = add(methods, values.nextElement().split(","));
        }
      }
    }
    String query = request.getQueryString();
    // The parameter's name may be percent-encoded too (%5Fmethod): frameworks decode it. In any
    // case: ASP.NET MVC reads X-HTTP-Method-Override, or x-http-method-override, from it.
    if (query != null && (query.indexOf('%') >= 0 || mentionsMethod(query))) {
      for (String parameter : query.split("&")) {
        int equals = parameter.indexOf('=');
        if (equals > 0 && namesOverride(parameter.substring(0, equals))) {
          methods = add(methods, decoded(parameter.substring(equals + 1)));
        }
      }
    }
    return methods;
  }

  /**
   * Whether a parameter name, as sent, names the method as the backend reads it: {@code
   * X-HTTP-Method-Override} in any case, or {@code _method}, decoded as written or as PHP does
   * ({@code $_GET}, which Laravel and Symfony read), which ends the name at its first NUL byte,
   * drops its leading spaces and reads a space, a dot or an unclosed {@code [} in it as {@code _}
   * ({@code _method%00x}, {@code .method}, {@code " _method"}, {@code [method}).
   */
  private static boolean namesOverride(String rawName) {
    String name = decoded(rawName);
    // ASP.NET MVC's GetHttpMethodOverride, which its [HttpDelete] and AcceptVerbs selectors ask,
    // reads a POST's X-HTTP-Method-Override from the query too, the name in any case (found by
    // review h40i: such a POST passed a DELETE rule).
    if (name.equals(PARAMETER) || name.equalsIgnoreCase(QUERY_HEADER)) {
      return true;
    }
    // PHP decodes the name, then reads it as a C string: "_method%00x" is _method there (found by
    // review h40i: a POST that Laravel runs as DELETE passed a DELETE rule).
    int nul = name.indexOf('\0');
    String php =
        (nul < 0 ? name : name.substring(0, nul))
            .replaceFirst("^ +", "")
            .replace(' ', '_')
            .replace('.', '_');
    if (php.indexOf(']') < 0) {
      php = php.replace('[', '_');
    }
    return php.equals(PARAMETER);
  }

  /**
   * Whether {@code query} holds "method" in any case; without allocating, as most queries do not.
   */
  private static boolean mentionsMethod(String query) {
    for (int i = query.length() - 6; i >= 0; i--) {
      if (query.regionMatches(true, i, "method", 0, 6)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> add(List<String> methods, String... values) {
    List<String> more = methods.isEmpty() ? new ArrayList<>() : methods;
    for (String value : values) {
      String method = value.trim().toUpperCase(Locale.ROOT);
      if (!method.isEmpty() && !more.contains(method)) {
        more.add(method);
      }
    }
    return more;
  }

  /**
   * {@code raw} percent-decoded as leniently as the backends that read it: {@code +} is a space, an
   * escape that cannot be decoded stays as written (PHP and ASP.NET keep it and decode the rest,
   * where {@code URLDecoder} gives up on the whole value: {@code _method%00%zz} is {@code _method}
   * to PHP), and {@code %uXXXX} is the UTF-16 unit XXXX, as ASP.NET's {@code HttpUtility.UrlDecode}
   * reads it ({@code %u0044ELETE} is DELETE there; found by review h40i). The path's decoding does
   * the rest: a {@code +} is replaced first, so that {@code %2B} still decodes to a {@code +}.
   */
  private static String decoded(String raw) {
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    return RawPaths.decodedOnce(raw.replace('+', ' '));
  }
}
