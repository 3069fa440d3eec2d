package dev.alteran.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.Logger;

/**
 * The standalone server's logging, set up in code rather than parsed from XML (which costs a good share
 * of start-up): JSON lines on stdout, one object per event, key-value pairs as fields, written off the
 * request threads ({@link AsyncLogAppender}); root level from
 * {@code ALTERAN_LOG_LEVEL} (system property or environment, default INFO). A {@code logback.xml} named
 * with {@code -Dlogback.configurationFile} still wins.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    private static final String IGNORE = "[ignore]";
    /** The name of the stdout appender ({@link AsyncLogAppender}). */
    static final String APPENDER = "STDOUT";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        var fields = new LogstashFieldNames();
        fields.setLevelValue(IGNORE);
        fields.setVersion(IGNORE);
        var encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.setIncludeMdc(false);
        encoder.setIncludeContext(false); // logback's context properties (none here), copied for every line otherwise
        encoder.setFieldNames(fields);
        encoder.start();
        // Written on a thread of its own, in batches: a request thread never waits for stdout.
        var appender = new AsyncLogAppender(encoder, System.out);
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.start();
        for (var quiet : new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "software.amazon.awssdk"}) {
            context.getLogger(quiet).setLevel(Level.WARN);
        }
        var root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level(), Level.INFO));
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static String level() {
        var level = System.getProperty("ALTERAN_LOG_LEVEL");
        return level != null ? level : System.getenv("ALTERAN_LOG_LEVEL");
    }
}
