package dev.apilink.config;

import java.util.logging.Logger;

/**
 * ApiLink's loggers, made for the class loader that loaded ApiLink rather than for whichever
 * application's thread first asked for them.
 *
 * <p>Tomcat's JULI keeps a tree of loggers for each class loader, the one the thread's context
 * class loader picks when a logger is first asked for, and resets an application's tree (its
 * loggers lose their handlers) when the application stops. With the drop-in JAR in Tomcat's {@code
 * lib}, shared by several applications, ApiLink's loggers are held in static fields: made in the
 * tree of the first application to start, they wrote nothing more, for any application, once that
 * one was reloaded or undeployed (found by review on Tomcat 11.0.24). Made for the common class
 * loader that holds the JAR, they live as long as ApiLink's classes; in {@code WEB-INF/lib}, that
 * class loader is the application's own, as before.
 */
public final class Loggers {

  private Loggers() {}

  /** The logger {@code name} of the class loader that loaded ApiLink. */
  public static Logger named(String name) {
    return named(name, Loggers.class.getClassLoader());
  }

  /** The logger {@code name} of {@code loader}'s tree, where the container keeps one per loader. */
  public static Logger named(String name, ClassLoader loader) {
    Thread current = Thread.currentThread();
    ClassLoader context = current.getContextClassLoader();
    current.setContextClassLoader(loader);
    try {
      return Logger.getLogger(name);
    } finally {
      current.setContextClassLoader(context);
    }
  }
}
