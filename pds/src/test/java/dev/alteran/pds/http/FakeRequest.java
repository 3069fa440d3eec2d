package dev.alteran.pds.http;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Just enough of a servlet request and response for the filters' unit tests. */
public final class FakeRequest {
    private FakeRequest() {}

    public static HttpServletRequest request(String remoteAddr, boolean secure, Map<String, List<String>> headers) {
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getRemoteAddr" -> remoteAddr;
                    case "isSecure" -> secure;
                    case "getHeader" -> headers.getOrDefault(args[0], List.of()).stream().findFirst().orElse(null);
                    case "getHeaders" -> Collections.enumeration(headers.getOrDefault(args[0], List.of()));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    public static HttpServletRequest from(String remoteAddr, String... forwardedFor) {
        return request(remoteAddr, false, forwardedFor.length == 0 ? Map.of() : Map.of("X-Forwarded-For", List.of(forwardedFor)));
    }

    /** A response that records headers into {@code headers}. */
    public static HttpServletResponse response(Map<String, String> headers) {
        return (HttpServletResponse) Proxy.newProxyInstance(HttpServletResponse.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "setHeader" -> {
                        headers.put((String) args[0], (String) args[1]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    public static Map<String, String> headers() {
        return new LinkedHashMap<>();
    }
}
