package dev.alteran.examples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot application of its own (one controller, {@code /hello}); the Alteran starter on its
 * classpath and the {@code alteran.*} properties in {@code application.yml} make it a PDS as well.
 */
@SpringBootApplication
public class SpringBootExample {
    public static void main(String[] args) {
        SpringApplication.run(SpringBootExample.class, args);
    }

    @RestController
    static class HelloController {
        @GetMapping("/hello")
        String hello() {
            return "hello from the Spring Boot app";
        }
    }
}
