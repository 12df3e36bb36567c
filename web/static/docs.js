// Starts Swagger UI on /docs (an inline script would be blocked by the page's CSP).
(() => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
    // "Try it out" with the session cookie: state-changing calls echo the CSRF token.
    requestInterceptor: (request) => {
      request.headers["x-csrf-token"] = root.dataset.csrfToken;
      return request;
    },
  });
})();
