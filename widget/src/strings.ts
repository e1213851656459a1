/** The widget's words. English is the default; pass `strings` to override any of them. */
export interface Strings {
  launcher: string;
  title: string;
  close: string;
  description: string;
  descriptionHint: string;
  email: string;
  attachNote: string;
  attachNoRecording: string;
  includeRecording: string;
  send: string;
  sending: string;
  sent: string;
  sentDetail: string;
  queuedOffline: string;
  errorNetwork: string;
  errorRateLimited: string;
  errorInvalid: string;
  errorRefused: string;
  errorServer: string;
  retry: string;
  statusReceived: string;
  statusWorking: string;
  question: string;
  answer: string;
  sendAnswer: string;
  you: string;
  support: string;
  filed: string;
  filedTicket: string;
  newReport: string;
  required: string;
}

const en: Strings = {
  launcher: 'Report a bug',
  title: 'Report a bug',
  close: 'Close',
  description: 'What happened?',
  descriptionHint: 'What did you do, what did you expect, what happened instead?',
  email: 'Your email',
  attachNote:
    'Attached: this page’s address, your browser and screen size, and a recording of the last {minutes} minutes on this site (typed text hidden), with its errors and network requests.',
  attachNoRecording: 'Attached: this page’s address, your browser and screen size. No recording.',
  includeRecording: 'Include the recording',
  send: 'Send',
  sending: 'Sending…',
  sent: 'Thanks, your report was sent.',
  sentDetail: 'We’ll post any questions here.',
  queuedOffline: 'You’re offline. Your report is saved and will be sent when you’re back online.',
  errorNetwork: 'Your report could not be sent (the request was blocked or the network failed).',
  errorRateLimited: 'Too many reports right now. Please try again later.',
  errorInvalid: 'The report was refused: {detail}',
  errorRefused: 'This site is not allowed to send reports.',
  errorServer: 'The server could not take your report right now.',
  retry: 'Retry',
  statusReceived: 'Report received. We’re looking at it.',
  statusWorking: 'We’re looking into it.',
  question: 'We have a question',
  answer: 'Your answer',
  sendAnswer: 'Send answer',
  you: 'You',
  support: 'Support',
  filed: 'We’ve filed this.',
  filedTicket: 'We’ve filed this as {ticket}.',
  newReport: 'Report another bug',
  required: 'Please describe what happened.',
};

const pt: Strings = {
  launcher: 'Reportar um erro',
  title: 'Reportar um erro',
  close: 'Fechar',
  description: 'O que aconteceu?',
  descriptionHint: 'O que você fez, o que esperava e o que aconteceu?',
  email: 'Seu e-mail',
  attachNote:
    'Anexado: o endereço desta página, seu navegador e tamanho de tela, e uma gravação dos últimos {minutes} minutos neste site (texto digitado oculto), com erros e requisições de rede.',
  attachNoRecording:
    'Anexado: o endereço desta página, seu navegador e tamanho de tela. Sem gravação.',
  includeRecording: 'Incluir a gravação',
  send: 'Enviar',
  sending: 'Enviando…',
  sent: 'Obrigado, seu relato foi enviado.',
  sentDetail: 'Se tivermos perguntas, elas aparecerão aqui.',
  queuedOffline: 'Você está offline. O relato foi guardado e será enviado quando a conexão voltar.',
  errorNetwork: 'Não foi possível enviar o relato (a requisição foi bloqueada ou a rede falhou).',
  errorRateLimited: 'Muitos relatos agora. Tente novamente mais tarde.',
  errorInvalid: 'O relato foi recusado: {detail}',
  errorRefused: 'Este site não tem permissão para enviar relatos.',
  errorServer: 'O servidor não pôde receber o relato agora.',
  retry: 'Tentar de novo',
  statusReceived: 'Relato recebido. Estamos analisando.',
  statusWorking: 'Estamos analisando.',
  question: 'Temos uma pergunta',
  answer: 'Sua resposta',
  sendAnswer: 'Enviar resposta',
  you: 'Você',
  support: 'Suporte',
  filed: 'Registramos o problema.',
  filedTicket: 'Registramos o problema como {ticket}.',
  newReport: 'Reportar outro erro',
  required: 'Descreva o que aconteceu.',
};

const es: Strings = {
  launcher: 'Informar un error',
  title: 'Informar un error',
  close: 'Cerrar',
  description: '¿Qué pasó?',
  descriptionHint: '¿Qué hiciste, qué esperabas y qué pasó en su lugar?',
  email: 'Tu correo',
  attachNote:
    'Adjunto: la dirección de esta página, tu navegador y tamaño de pantalla, y una grabación de los últimos {minutes} minutos en este sitio (texto escrito oculto), con errores y peticiones de red.',
  attachNoRecording:
    'Adjunto: la dirección de esta página, tu navegador y tamaño de pantalla. Sin grabación.',
  includeRecording: 'Incluir la grabación',
  send: 'Enviar',
  sending: 'Enviando…',
  sent: 'Gracias, tu informe se envió.',
  sentDetail: 'Si tenemos preguntas, aparecerán aquí.',
  queuedOffline:
    'Estás sin conexión. El informe se guardó y se enviará cuando vuelvas a estar en línea.',
  errorNetwork: 'No se pudo enviar el informe (la petición fue bloqueada o falló la red).',
  errorRateLimited: 'Demasiados informes ahora. Inténtalo más tarde.',
  errorInvalid: 'El informe fue rechazado: {detail}',
  errorRefused: 'Este sitio no puede enviar informes.',
  errorServer: 'El servidor no pudo recibir el informe ahora.',
  retry: 'Reintentar',
  statusReceived: 'Informe recibido. Lo estamos revisando.',
  statusWorking: 'Lo estamos revisando.',
  question: 'Tenemos una pregunta',
  answer: 'Tu respuesta',
  sendAnswer: 'Enviar respuesta',
  you: 'Tú',
  support: 'Soporte',
  filed: 'Lo hemos registrado.',
  filedTicket: 'Lo hemos registrado como {ticket}.',
  newReport: 'Informar otro error',
  required: 'Describe qué pasó.',
};

export const LANGUAGES: Record<string, Strings> = { en, pt, es };

/** The widget's words and the language they are in (for the panel's `lang`). */
export interface Wording {
  strings: Strings;
  /** A shipped language's code, or `locale` as given; null when the site's own words decide. */
  lang: string | null;
}

/**
 * Strings for `locale` (or the page's `<html lang>`, then the browser's language), English by
 * default, with the site's `overrides` on top: only non-empty text counts, so a missing or
 * wrong entry keeps the language's word instead of leaving a button empty.
 */
export function stringsFor(locale: string | undefined, overrides: Partial<Strings> = {}): Wording {
  const candidates = [locale, document.documentElement.lang, navigator.language];
  let base = en;
  let lang = 'en';
  for (const candidate of candidates) {
    const primary = (candidate ?? '').toLowerCase().split(/[-_]/)[0];
    if (primary && LANGUAGES[primary]) {
      base = LANGUAGES[primary];
      lang = primary;
      break;
    }
  }
  const strings = { ...base };
  let overridden = false;
  for (const name of Object.keys(base) as (keyof Strings)[]) {
    const text: unknown = overrides?.[name];
    if (typeof text === 'string' && text.trim()) {
      strings[name] = text;
      overridden = true;
    }
  }
  // A site's own words are in the language it says (locale), else presumably its page's.
  return { strings, lang: locale || (overridden ? null : lang) };
}

export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
