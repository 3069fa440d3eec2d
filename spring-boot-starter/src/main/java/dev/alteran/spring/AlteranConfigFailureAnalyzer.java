package dev.alteran.spring;

import dev.alteran.pds.config.ConfigException;
import java.util.stream.Collectors;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * A refused configuration as Boot reports start-up failures: every problem in the parser's words (they name
 * the environment names), followed by the property each of those names is in this application.
 */
public final class AlteranConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
        var named = AlteranProperties.environmentNames().stream()
                .filter(name -> cause.problems().stream().anyMatch(p -> mentions(p, name)))
                .map(name -> name + " is " + AlteranProperties.propertyName(name))
                .collect(Collectors.joining(", "));
        var description = "The PDS's configuration is invalid:\n  - " + String.join("\n  - ", cause.problems());
        var action = "Fix the alteran.* properties (or ALTERAN_* environment variables)"
                + (named.isEmpty() ? "." : " named here: " + named + ".");
        return new FailureAnalysis(description, action, cause);
    }

    /** The problem names this setting (PDS_CHAT_URL is not PDS_CHAT_URL_FILE's neighbour PDS_CHAT). */
    private static boolean mentions(String problem, String name) {
        for (int i = problem.indexOf(name); i >= 0; i = problem.indexOf(name, i + 1)) {
            boolean before = i == 0 || !isNamePart(problem.charAt(i - 1));
            int end = i + name.length();
            boolean after = end == problem.length() || !isNamePart(problem.charAt(end));
            if (before && after) return true;
        }
        return false;
    }

    private static boolean isNamePart(char c) {
        return c == '_' || Character.isUpperCase(c) || Character.isDigit(c);
    }
}
