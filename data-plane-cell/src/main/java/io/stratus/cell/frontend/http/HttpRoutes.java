package io.stratus.cell.frontend.http;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP routes of gRPC services, read from the {@code google.api.http} annotations their
 * generated descriptors carry (every binding: the primary one and each of {@code
 * additional_bindings}). Nothing here is per method: a new annotated RPC gets a route by itself.
 */
final class HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(HttpRoutes.class);

  /**
   * One binding of an RPC.
   *
   * @param verb the HTTP method (GET, POST, PUT, PATCH, DELETE or a custom one)
   * @param body "" (no body: query parameters bind to fields), "*" (the body is the request) or
   *     the field path the body fills
   */
  record Route(String verb, PathTemplate template, MethodDescriptor<Message, Message> method, Message prototype, String body) {}

  /** What a request's method and path come to. */
  sealed interface Match {}

  record Found(Route route, Map<String, String> pathBindings) implements Match {}

  /** The path matches routes, none for this method. */
  record WrongMethod(List<String> allowed) implements Match {}

  record NotFound() implements Match {}

  private final List<Route> routes;

  private HttpRoutes(List<Route> routes) {
    this.routes = List.copyOf(routes);
  }

  /** The routes of the methods of {@code services} (as bound, interceptors and all). */
  static HttpRoutes of(List<ServerServiceDefinition> services) {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    List<Route> routes = new ArrayList<>();
    Map<String, Route> shapes = new HashMap<>();
    for (ServerServiceDefinition service : services) {
      for (ServerMethodDefinition<?, ?> definition : service.getMethods()) {
        MethodDescriptor<?, ?> m = definition.getMethodDescriptor();
        if (m.getType() != MethodDescriptor.MethodType.UNARY
            || !(m.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier schema)
            || !(m.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> request)
            || !(request.getMessagePrototype() instanceof Message)) {
          continue;
        }
        Optional<HttpRule> rule = rule(schema.getMethodDescriptor(), registry);
        if (rule.isEmpty()) {
          continue;
        }
        @SuppressWarnings("unchecked")
        MethodDescriptor<Message, Message> method = (MethodDescriptor<Message, Message>) m;
        Message prototype = (Message) request.getMessagePrototype();
        List<HttpRule> bindings = new ArrayList<>();
        bindings.add(rule.get());
        bindings.addAll(rule.get().getAdditionalBindingsList());
        for (HttpRule b : bindings) {
          Route route = route(b, method, prototype);
          if (route == null) {
            continue;
          }
          // Two RPCs on one method and path shape would make the choice arbitrary: keep the first.
          Route shadowed = shapes.putIfAbsent(route.verb() + " " + route.template().shape(), route);
          if (shadowed != null) {
            log.warn("HTTP route {} {} of {} is shadowed by {}; not served", route.verb(), route.template(),
                method.getBareMethodName(), shadowed.method().getBareMethodName());
            continue;
          }
          routes.add(route);
        }
      }
    }
    return new HttpRoutes(routes);
  }

  private static Optional<HttpRule> rule(com.google.protobuf.Descriptors.MethodDescriptor method, ExtensionRegistry registry) {
    try {
      // The generated descriptor keeps unknown extensions as bytes: re-read them with the registry.
      MethodOptions options = MethodOptions.parseFrom(method.getOptions().toByteString(), registry);
      return options.hasExtension(AnnotationsProto.http) ? Optional.of(options.getExtension(AnnotationsProto.http)) : Optional.empty();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("unreadable options of " + method.getFullName(), e);
    }
  }

  private static Route route(HttpRule b, MethodDescriptor<Message, Message> method, Message prototype) {
    String verb;
    String path;
    switch (b.getPatternCase()) {
      case GET -> { verb = "GET"; path = b.getGet(); }
      case POST -> { verb = "POST"; path = b.getPost(); }
      case PUT -> { verb = "PUT"; path = b.getPut(); }
      case PATCH -> { verb = "PATCH"; path = b.getPatch(); }
      case DELETE -> { verb = "DELETE"; path = b.getDelete(); }
      case CUSTOM -> { verb = b.getCustom().getKind(); path = b.getCustom().getPath(); }
      default -> { return null; }
    }
    try {
      return new Route(verb, PathTemplate.parse(path), method, prototype, b.getBody());
    } catch (IllegalArgumentException e) {
      log.warn("HTTP route of {} not served: {}", method.getFullMethodName(), e.getMessage());
      return null;
    }
  }

  List<Route> all() {
    return routes;
  }

  /** The route for a method and raw path; of several matching paths the one with most literal segments. */
  Match match(String verb, String rawPath) {
    Found best = null;
    TreeSet<String> allowed = new TreeSet<>();
    for (Route r : routes) {
      Optional<Map<String, String>> bound = r.template().match(rawPath);
      if (bound.isEmpty()) {
        continue;
      }
      allowed.add(r.verb());
      if (r.verb().equals(verb)
          && (best == null || r.template().literalCount() > best.route().template().literalCount())) {
        best = new Found(r, bound.get());
      }
    }
    if (best != null) {
      return best;
    }
    return allowed.isEmpty() ? new NotFound() : new WrongMethod(List.copyOf(allowed));
  }
}
