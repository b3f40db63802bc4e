// A local OAuth 2 / OpenID provider standing in for Google in the browser suite. It
// approves every authorization at once and answers userinfo with a verified profile.
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.env.OAUTH_PORT ?? 8080);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeUserinfo', (userInfoResponse) => {
  userInfoResponse.body = {
    sub: 'google-e2e-subject',
    email: process.env.OAUTH_EMAIL ?? 'grace.oauth@example.com',
    email_verified: true,
    name: 'Grace Hopper',
  };
  userInfoResponse.statusCode = 200;
});
await server.start(port, '127.0.0.1');
console.log(`OAuth stand-in listening on ${server.issuer.url}`);
