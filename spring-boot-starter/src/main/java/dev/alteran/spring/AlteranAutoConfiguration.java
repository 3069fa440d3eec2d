package dev.alteran.spring;

import dev.alteran.pds.Alteran;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Mounts the PDS in a Spring Boot application's own servlet container: one {@link Alteran} built from the
 * {@code alteran.*} properties, installed by a {@link ServletContextInitializer} (it claims only the PDS's
 * paths, {@link Alteran#paths()}), reporting to Boot's {@link MeterRegistry} and Actuator health, and
 * closed by {@link AlteranLifecycle} once the web server has finished its requests.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class AlteranAutoConfiguration {

    /** Closed by {@link AlteranLifecycle}, after the web server's graceful stop, not by bean destruction. */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    public Alteran alteran(Environment environment, BeanFactory beans, ObjectProvider<MeterRegistry> meters,
            ObjectProvider<RequestMappingHandlerMapping> mvcMappings) {
        var config = AlteranProperties.config(environment).validateOrThrow();
        var builder = Alteran.builder().config(config).debugRoutes(config.debugRoutes())
                .includeRootEndpoint(includeRootEndpoint(environment, mvcMappings));
        meters.ifAvailable(builder::meterRegistry);
        var dataSource = environment.getProperty(AlteranProperties.DATASOURCE);
        if (dataSource != null && !dataSource.isBlank()) builder.dataSource(beans.getBean(dataSource.strip(), DataSource.class));
        return builder.build();
    }

    /**
     * {@code alteran.include-root-endpoint} when set; otherwise the PDS answers {@code /} only if none of
     * the application's controllers does (its exact mapping would shadow theirs).
     */
    static boolean includeRootEndpoint(Environment environment, ObjectProvider<RequestMappingHandlerMapping> mvcMappings) {
        var set = environment.getProperty(AlteranProperties.INCLUDE_ROOT_ENDPOINT, Boolean.class);
        if (set != null) return set;
        var root = Set.of("/", "");
        return mvcMappings.orderedStream().flatMap(m -> m.getHandlerMethods().keySet().stream())
                .flatMap(info -> info.getPatternValues().stream())
                .noneMatch(root::contains);
    }

    @Bean
    public ServletContextInitializer alteranServletContextInitializer(Alteran alteran) {
        return alteran::install;
    }

    @Bean
    public AlteranLifecycle alteranLifecycle(Alteran alteran) {
        return new AlteranLifecycle(alteran);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class AlteranHealthConfiguration {
        /** Actuator's {@code alteran} component: the checks {@code /health} reports, up only when all are {@code ok}. */
        @Bean
        @ConditionalOnMissingBean(name = "alteranHealthIndicator")
        HealthIndicator alteranHealthIndicator(Alteran alteran) {
            return () -> {
                var checks = alteran.healthChecks();
                var health = checks.values().stream().allMatch("ok"::equals) ? Health.up() : Health.down();
                return health.withDetails(checks).build();
            };
        }
    }
}
