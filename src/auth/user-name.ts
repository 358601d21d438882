/**
 * User names: what htpasswd lines, Basic credentials and access rules accept.
 * No `:` (it ends the name in both formats), and no leading `@` or `$`
 * (those mark groups and special principals in access rules).
 */
export const USER_NAME = /^[A-Za-z0-9._-][A-Za-z0-9._@-]{0,127}$/;

/** The rule a user name breaks, for messages. */
export const USER_NAME_RULE = 'user names are 1 to 128 of A-Z a-z 0-9 . _ - @ (not first)';
