/**
 * Local credentials for the app's roles: an access key id and secret per role, the store the broker
 * and the Function URL verify signatures against, and AWS shared config files with one profile per
 * role, written under the runtime's output folder (never the user's ~/.aws).
 *
 * Keys are random per run, not derived from the app: a derived key could be computed by anything
 * that can read the template, so the 0600 files would not be the only way to sign as a role; and a
 * key left from an earlier run is refused, as a rotated key is on AWS. Processes read the files
 * afresh (the SDK on each new client, curl on each call), so a restart costs nothing but that.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CredentialStore } from '../../broker/auth/iam/types';

/** One role's local key pair. */
export interface RoleCredentials {
  readonly roleArn: string;
  /** The profile name, e.g. `ingest`. */
  readonly profile: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The base32 alphabet AWS access key ids are written in after their 4-letter prefix. */
const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An IAM user-style access key id: `AKIA` and 16 base32 characters (20 in all). */
export function newAccessKeyId(random: (n: number) => Buffer = randomBytes): string {
  return `AKIA${[...random(16)].map((b) => KEY_ID_ALPHABET[b % 32]).join('')}`;
}

/** A 40-character secret access key (30 random bytes in base64, as AWS's secrets look). */
export function newSecretAccessKey(random: (n: number) => Buffer = randomBytes): string {
  return random(30).toString('base64');
}

/** Local credentials of each role: `{roleArn, profile}` pairs, profiles unique. */
export function generateCredentials(
  roles: readonly { readonly roleArn: string; readonly profile: string }[],
  random: (n: number) => Buffer = randomBytes,
): LocalCredentials {
  const ids = new Set<string>();
  const all = roles.map(({ roleArn, profile }) => {
    let accessKeyId = newAccessKeyId(random);
    while (ids.has(accessKeyId)) accessKeyId = newAccessKeyId(random);
    ids.add(accessKeyId);
    return { roleArn, profile, accessKeyId, secretAccessKey: newSecretAccessKey(random) };
  });
  return new LocalCredentials(all);
}

/** The run's credentials, looked up by access key id, role ARN or profile. */
export class LocalCredentials implements CredentialStore {
  private readonly byKey = new Map<string, RoleCredentials>();

  constructor(readonly all: readonly RoleCredentials[]) {
    const profiles = new Set<string>();
    for (const c of all) {
      if (profiles.has(c.profile)) throw new Error(`profile "${c.profile}" is given to two roles`);
      profiles.add(c.profile);
      this.byKey.set(c.accessKeyId, c);
    }
  }

  lookup(
    accessKeyId: string,
  ): { readonly secretAccessKey: string; readonly principalArn: string } | undefined {
    const c = this.byKey.get(accessKeyId);
    return c && { secretAccessKey: c.secretAccessKey, principalArn: c.roleArn };
  }

  forRole(roleArn: string): RoleCredentials | undefined {
    return this.all.find((c) => c.roleArn === roleArn);
  }

  forProfile(profile: string): RoleCredentials | undefined {
    return this.all.find((c) => c.profile === profile);
  }
}

/** The shared credentials file's text: one `[profile]` section per role. */
export function credentialsFileText(credentials: readonly RoleCredentials[]): string {
  return credentials
    .map(
      (c) =>
        `# ${c.roleArn}\n[${c.profile}]\naws_access_key_id = ${c.accessKeyId}\n` +
        `aws_secret_access_key = ${c.secretAccessKey}\n`,
    )
    .join('\n');
}

/** The shared config file's text: `[profile name]` sections with the region. */
export function configFileText(credentials: readonly RoleCredentials[], region: string): string {
  return credentials.map((c) => `[profile ${c.profile}]\nregion = ${region}\n`).join('\n');
}

/** Where the files went, and the environment that makes a process use one of their profiles. */
export interface WrittenCredentialFiles {
  readonly dir: string;
  readonly credentialsFile: string;
  readonly configFile: string;
  /** AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE and AWS_REGION for `profile`. */
  profileEnvironment(profile: string): Record<string, string>;
}

/** Writes only to the owner (0600), by rename, so no reader sees half a file or a wider mode. */
function writePrivate(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600); // the umask or an earlier file may have left it wider
  renameSync(temp, file);
}

/** Writes `<outputDir>/aws/credentials` and `<outputDir>/aws/config`, each mode 0600. */
export function writeCredentialFiles(
  outputDir: string,
  credentials: LocalCredentials,
  region: string,
): WrittenCredentialFiles {
  const dir = path.join(outputDir, 'aws');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const credentialsFile = path.join(dir, 'credentials');
  const configFile = path.join(dir, 'config');
  writePrivate(credentialsFile, credentialsFileText(credentials.all));
  writePrivate(configFile, configFileText(credentials.all, region));
  return {
    dir,
    credentialsFile,
    configFile,
    profileEnvironment(profile) {
      if (!credentials.forProfile(profile)) throw new Error(`no local profile "${profile}"`);
      return {
        AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
        AWS_CONFIG_FILE: configFile,
        AWS_PROFILE: profile,
        AWS_REGION: region,
      };
    },
  };
}
