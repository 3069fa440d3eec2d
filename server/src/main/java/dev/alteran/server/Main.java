package dev.alteran.server;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's entry point, compiled for Java 8 so that any Java a person may have loads it: on a Java
 * older than 21 it says which Java is needed and where the launcher looks for one, instead of a raw
 * {@code UnsupportedClassVersionError}; on 21 or newer it runs {@link AlteranServer}.
 */
public final class Main {
    static final int NEEDED = 21;

    private Main() {}

    public static void main(String[] args) throws Throwable {
        int running = feature(System.getProperty("java.specification.version"));
        if (running < NEEDED) {
            System.err.println(message(running, System.getProperty("java.home")));
            System.exit(1);
        }
        try {
            // By name: this class must not link against classes compiled for Java 21.
            Class.forName("dev.alteran.server.AlteranServer").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The feature release of a {@code java.specification.version}: "1.8" is 8, "17" is 17. */
    static int feature(String specification) {
        String version = specification.startsWith("1.") ? specification.substring(2) : specification;
        int dot = version.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? version : version.substring(0, dot));
        } catch (NumberFormatException e) {
            return NEEDED; // an unknown form: let the real entry point try
        }
    }

    static String message(int running, String javaHome) {
        return "alteran: Java " + NEEDED + " or newer is needed, but this is Java " + running + " (" + javaHome + ").\n"
                + "  Run the jar with a newer Java (e.g. /usr/lib/jvm/<jdk-21-or-newer>/bin/java -jar alteran.jar ...),\n"
                + "  or use the ./alteran launcher, which looks in $JAVA_HOME, then the java on the PATH, then /usr/lib/jvm/*.\n"
                + "  To install one: apt-get install openjdk-21-jdk (or any JDK 21+), or set JAVA_HOME to it.";
    }
}
