// A real OpenID provider for the single sign-on tests: the `oidc-provider` package with
// its own development login page. Started by tests/support/oidc.py as
//   node provider.mjs CONFIG.json
// where CONFIG.json holds {"issuer_host": "127.0.0.1", "clients": [...],
// "accounts": {"<login>": {"email": ..., "name": ..., "amr": [...]}}}. It listens on a
// free port and prints one line, `listening <port> <issuer>`, when it is ready.
//
// The issuer is http://<issuer_host>:<port>: with issuer_host "localhost" the provider is
// reached at 127.0.0.1 but signs its tokens as another issuer, which is how the tests make
// "a token from the wrong issuer" without forging anything.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://${config.issuer_host || '127.0.0.1'}:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    // amr and acr with the openid scope: in every ID token, as Entra ID puts amr.
    claims: {
      openid: ['sub', 'amr', 'acr'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    // The login name typed on the development login page is the account's id (its `sub`).
    conformIdTokenClaims: false,
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, email_verified: true, name: account.name };
        },
      };
    },
    // First-party clients: no consent page after the login page.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['helhed-tests-only'] },
  });
  // The development login page records no authentication methods; an account's `amr`
  // (["pwd", "mfa"] for one whose directory asked for a second factor) is what the
  // provider's session says it did, as a directory that asked for one would.
  const loginAccount = provider.Session.prototype.loginAccount;
  provider.Session.prototype.loginAccount = function withMethods(details) {
    const account = accounts[details.accountId];
    return loginAccount.call(this, { ...details, amr: account?.amr });
  };
  server.on('request', provider.callback());
  process.stdout.write(`listening ${port} ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
