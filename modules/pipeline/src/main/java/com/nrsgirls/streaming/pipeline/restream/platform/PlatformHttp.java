package com.nrsgirls.streaming.pipeline.restream.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * JSON over HTTP for the platform clients (one per node, shared by them): sends a request, reads
 * the answer as JSON, and turns an error answer into a {@link PlatformException} with the
 * platform's rules ({@link ErrorReader}). Tokens and keys given as secrets are cut out of every
 * message it makes.
 */
public final class PlatformHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Reads a platform's error answer. */
  interface ErrorReader {
    PlatformException read(int status, JsonNode body, HttpResponse<String> response);
  }

  private final HttpClient http;
  private final Duration timeout;

  PlatformHttp(HttpClient http, Duration timeout) {
    this.http = http;
    this.timeout = timeout;
  }

  /** Calls that take longer than {@code timeout} fail as {@code UNAVAILABLE}. */
  public static PlatformHttp create(Duration timeout) {
    return new PlatformHttp(
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        timeout);
  }

  CompletionStage<JsonNode> send(
      HttpRequest.Builder request, ErrorReader errors, List<String> secrets) {
    return http.sendAsync(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException ? failure.getCause() : failure;
                throw new PlatformException(
                    PlatformException.Kind.UNAVAILABLE,
                    redact("the platform could not be reached: " + cause, secrets),
                    null);
              }
              JsonNode body = parse(response.body());
              if (response.statusCode() / 100 == 2) {
                return body;
              }
              PlatformException e = errors.read(response.statusCode(), body, response);
              throw new PlatformException(
                  e.kind(), redact(e.getMessage(), secrets), e.retryAfter());
            });
  }

  private static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
  }

  /** {@code text} with every secret replaced, printable and short. */
  static String redact(String text, List<String> secrets) {
    String t = text == null ? "" : text;
    for (String s : secrets) {
      if (s != null && !s.isEmpty()) {
        t = t.replace(s, "[secret]");
      }
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < t.length() && b.length() < 300; i++) {
      char c = t.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : ' ');
    }
    return b.toString();
  }

  /** The kind of an HTTP status when the platform's body says nothing more precise. */
  static PlatformException.Kind kindOf(int status) {
    if (status == 401) {
      return PlatformException.Kind.UNAUTHORIZED;
    } else if (status == 429) {
      return PlatformException.Kind.RATE_LIMITED;
    } else if (status >= 500) {
      return PlatformException.Kind.UNAVAILABLE;
    }
    return PlatformException.Kind.REFUSED;
  }

  /** A {@code Retry-After} in seconds, if the answer has one. */
  static Duration retryAfter(HttpResponse<String> response) {
    return response
        .headers()
        .firstValue("Retry-After")
        .flatMap(
            v -> {
              try {
                return java.util.Optional.of(Duration.ofSeconds(Long.parseLong(v.strip())));
              } catch (NumberFormatException e) {
                return java.util.Optional.empty();
              }
            })
        .orElse(null);
  }
}
