import type { PreparedContact } from '../contacts/prepare-contact.ts';
import type { SegmentCall } from './event-schema.ts';
import { USER_ID_SOURCE } from './identity.ts';

/** Who the identities a run of calls mentions belonged to when the run started. */
export interface StoredIdentities {
  /** userId → contact id. */
  users: ReadonlyMap<string, string>;
  /** Normalised email → contact id. */
  emails: ReadonlyMap<string, string>;
  /** anonymousId → contact id. */
  cookies: ReadonlyMap<string, string>;
}

/** A person the run's calls are about: a stored contact, or one the run's writes will create. */
export interface Person {
  /** Set from the start for a stored contact; for a new person, once the writes are applied. */
  contactId?: string;
  /** The email the run last wrote for them: a call naming an earlier one of theirs must not land here. */
  email?: string;
}

export interface PlannedWrite {
  prepared: PreparedContact;
  person: Person;
}

export interface PlannedLink {
  anonymousId: string;
  /** The person the cookie belongs to at the end of the run (the latest identification wins). */
  person: Person;
  /** The first person the run tied it to: the cookie's earlier anonymous events become theirs. */
  firstPerson: Person;
}

/**
 * Decides, without I/O, who each call of a run belongs to and what that means for contacts
 * and cookies, so the run is written in a fixed number of statements. `plan` answers false for
 * a call whose meaning depends on writes that must happen first (a merge of two contacts, a
 * userId given to a contact known by email, an email the run has since moved away from its
 * holder, traits for a visitor known only by a cookie, group and alias calls): the caller writes the run so far, handles that call on its own, and
 * starts a new run. Calls the plan accepts end exactly as if they had been handled one by one.
 */
export function createIdentityPlan(stored: StoredIdentities, traitsOf: (call: SegmentCall) => PreparedContact) {
  const byContact = new Map<string, Person>();
  const byUser = new Map<string, Person>();
  const byEmail = new Map<string, Person>();
  const cookies = new Map<string, Person>();
  const firstLinks = new Map<string, Person>();
  const writes: PlannedWrite[] = [];
  const people: (Person | undefined)[] = [];
  const senders: (string | undefined)[] = [];

  const storedPerson = (contactId: string | undefined): Person | undefined => {
    if (!contactId) return undefined;
    const person = byContact.get(contactId) ?? { contactId };
    byContact.set(contactId, person);
    return person;
  };
  const userPerson = (userId: string): Person | undefined => {
    const person = byUser.get(userId) ?? storedPerson(stored.users.get(userId));
    if (person) byUser.set(userId, person);
    return person;
  };
  /** The person holding an email; false when the run has since given them another (they no longer hold it). */
  const emailPerson = (email: string): Person | undefined | false => {
    const person = byEmail.get(email) ?? storedPerson(stored.emails.get(email));
    if (person?.email !== undefined && person.email !== email) return false;
    if (person) byEmail.set(email, person);
    return person;
  };
  const cookiePerson = (anonymousId: string | undefined): Person | undefined =>
    anonymousId ? (cookies.get(anonymousId) ?? storedPerson(stored.cookies.get(anonymousId))) : undefined;
  const link = (anonymousId: string | undefined, person: Person) => {
    if (!anonymousId) return;
    cookies.set(anonymousId, person);
    if (!firstLinks.has(anonymousId)) firstLinks.set(anonymousId, person);
  };
  const write = (person: Person, prepared: PreparedContact) => writes.push({ prepared, person });

  /** Plans one call; false when it must be handled on its own after the run so far is written. */
  function plan(call: SegmentCall): boolean {
    const accepted = decide(call);
    if (accepted) senders.push(call.anonymousId);
    return accepted;
  }

  function decide(call: SegmentCall): boolean {
    if (call.type === 'alias' || call.type === 'group') return false;
    if (call.type !== 'identify') {
      let person: Person | undefined;
      if (call.userId) {
        person = userPerson(call.userId);
        if (!person) {
          person = {};
          byUser.set(call.userId, person);
          write(person, { ...emptyWrite(), externalIds: { [USER_ID_SOURCE]: call.userId } });
        }
        link(call.anonymousId, person);
      } else person = cookiePerson(call.anonymousId);
      people.push(person);
      return true;
    }
    const traits = traitsOf(call);
    const email = traits.email ?? undefined;
    if (!call.userId && !email) {
      // Traits of a visitor known only by a cookie go to the person the cookie is tied to, by id:
      // on their own, once that person is written. A cookie tied to no one keeps them on the event.
      const person = cookiePerson(call.anonymousId);
      if (person) return false;
      people.push(person);
      return true;
    }
    const byUserId = call.userId ? userPerson(call.userId) : undefined;
    const byMail = email ? emailPerson(email) : undefined;
    if (byMail === false) return false;
    // Two people proven one (a merge), or a userId arriving for a contact known by email (it may
    // replace another userId): both change identities in ways the rest of the run must see.
    if (byUserId && byMail && byUserId !== byMail) return false;
    if (!byUserId && byMail && call.userId) return false;
    const person: Person = byUserId ?? byMail ?? {};
    if (call.userId) byUser.set(call.userId, person);
    if (email) {
      byEmail.set(email, person);
      person.email = email;
    }
    write(person, call.userId ? { ...traits, externalIds: { ...traits.externalIds, [USER_ID_SOURCE]: call.userId } } : traits);
    link(call.anonymousId, person);
    people.push(person);
    return true;
  }

  return {
    plan,
    /** The contact writes, in call order; each names its person by an email or a userId. */
    writes: () => writes,
    /** Cookies the run tied to someone. */
    links: (): PlannedLink[] =>
      [...cookies].map(([anonymousId, person]) => ({ anonymousId, person, firstPerson: firstLinks.get(anonymousId)! })),
    /**
     * For each accepted call in order, its person (undefined while anonymous). A visit made before
     * its cookie was tied to someone later in the run is theirs, as an earlier stored one would be.
     */
    people: () => people.map((person, i) => person ?? (senders[i] ? firstLinks.get(senders[i]) : undefined)),
    /** Whether the cookie was tied to this contact before the run (no link to write). */
    wasLinked: (anonymousId: string, contactId: string) => stored.cookies.get(anonymousId) === contactId,
  };
}

export type IdentityPlan = ReturnType<typeof createIdentityPlan>;

export function emptyWrite(): PreparedContact {
  return { fields: {}, externalIds: {}, custom: {}, company: {}, warnings: [] };
}
