// Swagger UI for GET /api/docs, pointed at /api/spec. An external file because the server's CSP
// allows no inline script. swagger-ui-bundle.js (public/vendor/swagger-ui, from npm) is loaded
// before this module. validatorUrl: null keeps the page from calling the public validator
// service: everything it needs comes from this server, so it works offline.
/* global SwaggerUIBundle */
SwaggerUIBundle({
  url: '/api/spec',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
});
