package dev.alteran.atproto.syntax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs every line of every official syntax vector file (except CID, tested with the data model). */
class SyntaxInteropTest {

    private record Kind(String prefix, Predicate<String> isValid, Consumer<String> parse) {}

    private static final List<Kind> KINDS = List.of(
            new Kind("atidentifier", AtIdentifier::isValid, AtIdentifier::parse),
            new Kind("aturi", AtUri::isValid, AtUri::parse),
            new Kind("datetime", Datetime::isValid, Datetime::parse),
            new Kind("did", Did::isValid, Did::parse),
            new Kind("handle", Handle::isValid, Handle::parse),
            new Kind("language", Language::isValid, Language::parse),
            new Kind("nsid", Nsid::isValid, Nsid::parse),
            new Kind("recordkey", RecordKey::isValid, RecordKey::parse),
            new Kind("tid", Tid::isValid, Tid::parse),
            new Kind("uri", UriSyntax::isValid, UriSyntax::parse));

    @TestFactory
    Stream<DynamicTest> syntaxVectors() {
        var tests = new ArrayList<DynamicTest>();
        for (var kind : KINDS) {
            tests.addAll(cases(kind, kind.prefix + "_syntax_valid.txt", true));
            tests.addAll(cases(kind, kind.prefix + "_syntax_invalid.txt", false));
        }
        // Well-formed but semantically invalid: must be rejected too.
        tests.addAll(cases(KINDS.get(2), "datetime_parse_invalid.txt", false));
        tests.addAll(cases(KINDS.get(5), "language_parse_invalid.txt", false));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> datetimeParseInvalidHaveValidSyntax() {
        return InteropVectors.lines("datetime_parse_invalid.txt").stream()
                .map(line -> dynamicTest(line, () -> assertThat(Datetime.isValidSyntax(line)).isTrue()));
    }

    private static List<DynamicTest> cases(Kind kind, String file, boolean valid) {
        var lines = InteropVectors.lines(file);
        assertThat(lines).as(file).isNotEmpty();
        return lines.stream().map(line -> dynamicTest(file + ": " + abbreviate(line), () -> {
            assertThat(kind.isValid.test(line)).as("%s isValid(%s)", kind.prefix, line).isEqualTo(valid);
            if (valid) kind.parse.accept(line);
            else assertThatThrownBy(() -> kind.parse.accept(line)).isInstanceOf(InvalidSyntaxException.class);
        })).toList();
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…(" + s.length() + ")" : s;
    }
}
