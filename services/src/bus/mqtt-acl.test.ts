import { pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashMosquittoPassword, renderMosquittoAcl, renderMosquittoConf, renderMosquittoPasswords } from './mosquitto-config.js';
import { mqttAcl } from './mqtt-acl.js';
import type { AclSubject } from './mqtt-acl.js';

const central: AclSubject = { username: 'central', role: 'central' };
const nodeA: AclSubject = { username: 'edge-a', role: 'node' };
const kiosk: AclSubject = { username: 'kiosk-1', role: 'device' };
const V1 = 'edgerec/v1';

describe('mqttAcl.canPublish', () => {
  it('lets a node publish status, deltas and eval under its own id only', () => {
    for (const leaf of ['status', 'deltas', 'eval']) {
      expect(mqttAcl.canPublish(nodeA, `${V1}/nodes/edge-a/${leaf}`)).toBe(true);
      expect(mqttAcl.canPublish(nodeA, `${V1}/nodes/edge-b/${leaf}`)).toBe(false);
    }
  });

  it('reserves acks, models and control for central', () => {
    for (const topic of [`${V1}/nodes/edge-a/acks`, `${V1}/models/manifest`, `${V1}/models/3/chunks/0`, `${V1}/control/rounds`]) {
      expect(mqttAcl.canPublish(central, topic)).toBe(true);
      expect(mqttAcl.canPublish(nodeA, topic)).toBe(false);
      expect(mqttAcl.canPublish(kiosk, topic)).toBe(false);
    }
  });

  it('lets edges answer any device, and devices speak only for themselves', () => {
    expect(mqttAcl.canPublish(nodeA, `${V1}/devices/kiosk-9/recs/response`)).toBe(true);
    expect(mqttAcl.canPublish(kiosk, `${V1}/devices/kiosk-1/events`)).toBe(true);
    expect(mqttAcl.canPublish(kiosk, `${V1}/devices/kiosk-1/recs/request`)).toBe(true);
    expect(mqttAcl.canPublish(kiosk, `${V1}/devices/kiosk-2/events`)).toBe(false);
    expect(mqttAcl.canPublish(kiosk, `${V1}/devices/kiosk-1/recs/response`)).toBe(false);
  });

  it('gives no rights to usernames that are not a single safe topic level', () => {
    for (const username of ['a/b', '+', '#', '', 'has space']) {
      expect(mqttAcl.canPublish({ username, role: 'node' }, `${V1}/nodes/${username}/status`)).toBe(false);
    }
  });

  it('a node can never publish under a different node id (property)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(id, id, fc.constantFrom('status', 'deltas', 'eval', 'acks'), (me, other, leaf) => {
        fc.pre(me !== other);
        return !mqttAcl.canPublish({ username: me, role: 'node' }, `${V1}/nodes/${other}/${leaf}`);
      }),
    );
  });
});

describe('mqttAcl.canSubscribe', () => {
  it('lets a node follow its acks, models, control and device traffic', () => {
    for (const f of [`${V1}/nodes/edge-a/acks`, `${V1}/models/#`, `${V1}/models/manifest`, `${V1}/control/#`, `${V1}/devices/+/events`, `${V1}/devices/+/recs/request`]) {
      expect(mqttAcl.canSubscribe(nodeA, f)).toBe(true);
    }
  });

  it("refuses a node other nodes' acks and wider filters", () => {
    for (const f of [`${V1}/nodes/edge-b/acks`, `${V1}/nodes/+/acks`, `${V1}/#`, '#', `${V1}/devices/#`]) {
      expect(mqttAcl.canSubscribe(nodeA, f)).toBe(false);
    }
  });

  it('lets central subscribe to everything except $ topics, also through $share', () => {
    expect(mqttAcl.canSubscribe(central, '#')).toBe(true);
    expect(mqttAcl.canSubscribe(central, `$share/aggregators/${V1}/nodes/+/deltas`)).toBe(true);
    expect(mqttAcl.canSubscribe(central, '$denied')).toBe(false);
  });

  it('judges $share filters by the filter they wrap', () => {
    expect(mqttAcl.canSubscribe(nodeA, `$share/g/${V1}/nodes/edge-b/acks`)).toBe(false);
  });
});

describe('mosquitto config rendering', () => {
  it('renders one user section per account with its name substituted', () => {
    const acl = renderMosquittoAcl([central, nodeA, kiosk]);
    expect(acl).toContain(`user edge-a\ntopic write ${V1}/nodes/edge-a/status`);
    expect(acl).toContain(`topic read ${V1}/nodes/edge-a/acks`);
    expect(acl).toContain(`user central\ntopic write ${V1}/models/#`);
    expect(acl).toContain('topic read #');
    expect(acl).not.toContain('%u');
    expect(acl).not.toMatch(/^pattern /m);
  });

  it('refuses usernames that would inject topic levels', () => {
    expect(() => renderMosquittoAcl([{ username: 'a/#', role: 'node' }])).toThrow(/username/);
  });

  it('writes $7$ PBKDF2-SHA512 hashes that verify like mosquitto_passwd', () => {
    const salt = Uint8Array.from({ length: 12 }, (_, i) => i);
    const [, kind, iterations, saltB64, hashB64] = hashMosquittoPassword('s3cret', salt).split('$');
    expect([kind, iterations]).toEqual(['7', '101']);
    expect(new Uint8Array(Buffer.from(saltB64, 'base64'))).toEqual(salt);
    expect(hashB64).toBe(pbkdf2Sync('s3cret', salt, 101, 64, 'sha512').toString('base64'));
    const file = renderMosquittoPasswords([{ ...nodeA, password: 'p' }], () => salt);
    expect(file).toMatch(/^edge-a:\$7\$101\$[^$]+\$[^$]+\n$/);
  });

  it('renders a locked-down conf when password and ACL files are given', () => {
    const conf = renderMosquittoConf({ port: 1883, passwordFile: '/p', aclFile: '/a', persistenceDir: '/data' });
    expect(conf).toContain('listener 1883 127.0.0.1');
    expect(conf).toContain('allow_anonymous false');
    expect(conf).toContain('acl_file /a');
    expect(conf).toContain('persistence_location /data/');
    expect(renderMosquittoConf({ port: 1 })).toContain('allow_anonymous true');
  });
});
