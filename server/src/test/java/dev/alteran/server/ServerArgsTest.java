package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** serve and dev read without picocli: every option picocli declares, read to the same values, and the rest left to picocli. */
class ServerArgsTest {
    @Test
    void everyOptionOfServeAndDevIsReadAsPicocliReadsIt() throws Exception {
        for (var command : List.of(new DevCommand(), new ServeCommand())) {
            var spec = new CommandLine(command).getCommandSpec();
            var name = spec.name();
            var all = new ArrayList<String>(List.of(name));
            for (var option : spec.options()) {
                if (option.usageHelp() || option.versionHelp()) continue;
                var type = option.type();
                String[] forms;
                if (type == boolean.class) {
                    forms = new String[] {option.longestName()};
                } else {
                    var value = type == Path.class ? "some/dir" : type == int.class || type == Integer.class ? "7" : "6h";
                    forms = new String[] {option.longestName() + "=" + value, option.longestName() + " " + value};
                    all.addAll(List.of(option.longestName(), value));
                }
                if (type == boolean.class) all.add(option.longestName());
                for (var form : forms) sameAsPicocli((name + " " + form).split(" "));
            }
            sameAsPicocli(all.toArray(String[]::new)); // every option at once
            sameAsPicocli(new String[] {name}); // none: the defaults
        }
    }

    @Test
    void whatItDoesNotKnowGoesToPicocli() {
        for (var args : List.of(
                new String[] {"dev", "--help"}, new String[] {"dev", "-h"}, new String[] {"serve", "--version"},
                new String[] {"dev", "--no-such-option"}, new String[] {"dev", "--port", "x"}, new String[] {"dev", "--port"},
                new String[] {"dev", "--port", "1", "--port", "2"}, new String[] {"dev", "--port", "--data"},
                new String[] {"dev", "--debug-routes=true"}, new String[] {"dev", "extra"}, new String[] {"serve", "--backup-keep", "many"},
                new String[] {"serve", "--port", "1"}, new String[] {"secrets"}, new String[] {})) {
            assertThat(ServerArgs.parse(args)).as(Arrays.toString(args)).isNull();
        }
    }

    private static void sameAsPicocli(String[] args) throws Exception {
        var ours = ServerArgs.parse(args);
        assertThat(ours).as(Arrays.toString(args)).isNotNull();
        Object theirs = args[0].equals("dev") ? new DevCommand() : new ServeCommand();
        new CommandLine(theirs).parseArgs(Arrays.copyOfRange(args, 1, args.length));
        assertThat(options(ours)).as(Arrays.toString(args)).isEqualTo(options(theirs));
    }

    private static Map<String, Object> options(Object command) throws Exception {
        var values = new LinkedHashMap<String, Object>();
        for (var field : command.getClass().getDeclaredFields()) {
            if (!field.isAnnotationPresent(Option.class)) continue;
            field.setAccessible(true);
            values.put(field.getName(), field.get(command));
        }
        assertThat(values).isNotEmpty();
        return values;
    }
}
