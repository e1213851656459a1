/** Mail text the email suites build their messages from. */

/**
 * A Gmail-style forward of a customer's mail ("---------- Forwarded message ---------"), with
 * the staff member's note above it.
 */
export function gmailForward(options: {
  note: string;
  customer: string;
  subject: string;
  words: string;
  date?: string;
}): string {
  return [
    options.note,
    '',
    '---------- Forwarded message ---------',
    `From: ${options.customer}`,
    `Date: ${options.date ?? 'Mon, 7 Dec 2026 at 09:41'}`,
    `Subject: ${options.subject}`,
    'To: <help@shopfront.test>',
    '',
    options.words,
    '',
  ].join('\n');
}
