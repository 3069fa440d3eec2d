package dev.alteran.pds.web;

import dev.alteran.pds.oauth.AccountPermission;
import dev.alteran.pds.oauth.BlobPermission;
import dev.alteran.pds.oauth.IdentityPermission;
import dev.alteran.pds.oauth.Permission;
import dev.alteran.pds.oauth.RepoPermission;
import dev.alteran.pds.oauth.RpcPermission;
import dev.alteran.pds.oauth.ScopeSet;
import java.util.ArrayList;
import java.util.List;

/** The requested permissions in plain words, for the consent page. */
final class ScopeWords {
    private ScopeWords() {}

    static List<String> describe(String scope) {
        var out = new ArrayList<String>();
        for (var s : scope.split(" ")) {
            var words = describeOne(s);
            if (words != null && !out.contains(words)) out.add(words);
        }
        return out;
    }

    private static String describeOne(String s) {
        switch (s) {
            case ScopeSet.ATPROTO -> { return "Know which account you are (your handle and DID)"; }
            case ScopeSet.TRANSITION_GENERIC -> {
                return "Create, change and delete anything in your account's data (posts, likes, follows, profile…), upload files and act on your behalf with other services (except chat)";
            }
            case ScopeSet.TRANSITION_CHAT_BSKY -> { return "Read and send your Bluesky chat messages"; }
            case ScopeSet.TRANSITION_EMAIL -> { return "See your e-mail address"; }
            default -> { }
        }
        return switch (Permission.parse(s)) {
            case RepoPermission p -> actions(p.action()) + " records of " + list(p.collection(), "any type");
            case RpcPermission p -> "Call " + list(p.lxm(), "any method") + " of " + ("*".equals(p.aud()) ? "any service" : p.aud()) + " on your behalf";
            case BlobPermission p -> "Upload files of type " + String.join(", ", p.accept());
            case AccountPermission p -> (p.action().contains("manage") ? "Manage" : "See") + " your account's " + ("*".equals(p.attr()) ? "settings" : p.attr());
            case IdentityPermission p -> "*".equals(p.attr()) ? "Change your handle and your identity (DID document)" : "Change your handle";
            case null -> s;
        };
    }

    private static String actions(List<String> actions) {
        var words = actions.stream().map(a -> switch (a) {
            case "create" -> "create";
            case "update" -> "change";
            default -> "delete";
        }).toList();
        var joined = words.size() == 1 ? words.get(0)
                : String.join(", ", words.subList(0, words.size() - 1)) + " and " + words.get(words.size() - 1);
        return Character.toUpperCase(joined.charAt(0)) + joined.substring(1);
    }

    private static String list(List<String> values, String any) {
        return values.contains("*") ? any : String.join(", ", values);
    }
}
