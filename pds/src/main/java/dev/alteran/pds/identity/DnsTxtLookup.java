package dev.alteran.pds.identity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.directory.InitialDirContext;

/** DNS TXT lookups: the records of a name, each with its character-strings joined. Empty when there are none. */
@FunctionalInterface
public interface DnsTxtLookup {
    List<String> txt(String name);

    /**
     * The JDK's DNS provider with the system's resolvers. {@code timeout} bounds one name: the
     * provider waits 1/3 of it, then retries once with twice that.
     */
    static DnsTxtLookup jndi(Duration timeout) {
        var first = Math.max(100, timeout.toMillis() / 3);
        return name -> {
            var env = new Hashtable<String, String>();
            env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
            env.put("com.sun.jndi.dns.timeout.initial", Long.toString(first));
            env.put("com.sun.jndi.dns.timeout.retries", "2");
            try {
                var ctx = new InitialDirContext(env);
                try {
                    var attr = ctx.getAttributes(name, new String[] {"TXT"}).get("TXT");
                    var records = new ArrayList<String>();
                    if (attr != null) {
                        for (int i = 0; i < attr.size(); i++) records.add(joinCharacterStrings(String.valueOf(attr.get(i))));
                    }
                    return records;
                } finally {
                    ctx.close();
                }
            } catch (NameNotFoundException e) {
                return List.of();
            } catch (NamingException e) {
                throw new ResolutionException("DNS lookup of " + name + " failed: " + e.getMessage(), e);
            }
        };
    }

    /**
     * Undoes the JDK provider's rendering of one TXT record: its character-strings separated by
     * spaces, each one in double quotes (with {@code \} escapes) when it is empty or holds a space,
     * quote or backslash. A long value split over several strings is joined back, as the handle
     * spec requires.
     */
    static String joinCharacterStrings(String rendered) {
        var out = new StringBuilder(rendered.length());
        int i = 0, n = rendered.length();
        while (i < n) {
            char c = rendered.charAt(i);
            if (c == ' ') {
                i++; // the separator between two strings
            } else if (c == '"') {
                i++;
                while (i < n && rendered.charAt(i) != '"') {
                    if (rendered.charAt(i) == '\\' && i + 1 < n) i++;
                    out.append(rendered.charAt(i++));
                }
                i++; // the closing quote
            } else {
                while (i < n && rendered.charAt(i) != ' ') out.append(rendered.charAt(i++));
            }
        }
        return out.toString();
    }
}
