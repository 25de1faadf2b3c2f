/* What both pages share (the voting page loads it as an asset, the admin page inlines it):
   - the few DOM helpers both use, the reader's language and a page's words in it;
   - Astana time from the fixed offset UTC+5 (the one zone of Kazakhstan since 1 March 2024), never
     from the browser's zone database, whose Almaty entry may still say UTC+6;
   - numbers, percents and plural forms by the page's own rules for kk, ru and en (Chromium's ICU
     carries no Kazakh data: it would write «1,305» and «31.6%», which read wrong in Kazakhstan);
   - dates with Kazakh and Russian month names (and the Kazakh accusative: «желтоқсанды»);
   - names folded for search (Kazakh letters, Latin spellings, either word order);
   - NCALayer's `sign` call. */
(function (global) {
  'use strict';

  var ASTANA_OFFSET_MS = 5 * 60 * 60 * 1000;

  var MONTHS = {
    kk: ['қаңтар', 'ақпан', 'наурыз', 'сәуір', 'мамыр', 'маусым', 'шілде', 'тамыз', 'қыркүйек', 'қазан', 'қараша',
      'желтоқсан'],
    ru: ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября',
      'декабря'],
    en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November',
      'December']
  };
  // The Kazakh accusative of each month («6 желтоқсанды қоса алғанда»): -ны/-ні after a vowel,
  // -ты/-ті after a voiceless consonant, -ды/-ді otherwise; back or front by the last vowel.
  var KK_MONTHS_ACCUSATIVE = ['қаңтарды', 'ақпанды', 'наурызды', 'сәуірді', 'мамырды', 'маусымды', 'шілдені',
    'тамызды', 'қыркүйекті', 'қазанды', 'қарашаны', 'желтоқсанды'];

  var LANGUAGES = ['kk', 'ru', 'en'];

  // The language the reader chose before (kept under `key` in localStorage), else `fallback` if it
  // is one of the three, else Russian. A browser that keeps nothing (private mode) just asks again.
  function chosenLanguage(key, fallback) {
    var stored = null;
    try { stored = window.localStorage.getItem(key); } catch (e) { stored = null; }
    if (LANGUAGES.indexOf(stored) !== -1) return stored;
    return LANGUAGES.indexOf(fallback) !== -1 ? fallback : 'ru';
  }

  function rememberLanguage(key, lang) {
    try { window.localStorage.setItem(key, lang); } catch (e) { /* private mode: not remembered */ }
  }

  function byId(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fill(template, vars) {
    return String(template).replace(/\{(\w+)\}/g, function (all, name) {
      return vars && vars[name] !== undefined ? vars[name] : all;
    });
  }

  // A page's word: texts[lang][key] (the Russian one where a language lacks it), {name}s filled.
  function text(texts, lang, key, vars) {
    var found = texts[lang][key];
    return fill(found === undefined ? texts.ru[key] : found, vars);
  }

  // The page's fixed words: every element with data-t="key" says that key's word in `lang`.
  function applyWords(texts, lang) {
    document.documentElement.lang = lang;
    Array.prototype.forEach.call(document.querySelectorAll('[data-t]'), function (node) {
      node.textContent = text(texts, lang, node.getAttribute('data-t'));
    });
  }

  // A {kk, ru, en} value (a title, a name, a region) in `lang`, else in Russian, else in any; a
  // plain string is the same in every language.
  function local(map, lang) {
    if (!map) return '';
    if (typeof map === 'string') return map;
    return map[lang] || map.ru || map.kk || map.en || '';
  }

  // ---- Astana time ----

  function astanaParts(ms) {
    var d = new Date(ms + ASTANA_OFFSET_MS); // read with the UTC getters: no zone database involved
    return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), hour: d.getUTCHours(),
      minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function clock(ms) {
    var p = astanaParts(ms);
    return pad(p.hour) + ':' + pad(p.minute);
  }

  // "2026 ж. 6 желтоқсан", "6 декабря 2026 г.", "6 December 2026"; `accusative` for Kazakh phrases
  // that govern it.
  function date(ms, lang, accusative) {
    var p = astanaParts(ms);
    if (lang === 'kk') return p.year + ' ж. ' + p.day + ' ' + (accusative ? KK_MONTHS_ACCUSATIVE : MONTHS.kk)[p.month];
    if (lang === 'en') return p.day + ' ' + MONTHS.en[p.month] + ' ' + p.year;
    return p.day + ' ' + MONTHS.ru[p.month] + ' ' + p.year + ' г.';
  }

  function dateTime(ms, lang) { return date(ms, lang) + ', ' + clock(ms); }

  // "06.12.2026, 00:00" (kk, ru) or "06/12/2026, 00:00" (en): tables and charts.
  function shortDateTime(ms, lang) {
    var p = astanaParts(ms), sep = lang === 'en' ? '/' : '.';
    return pad(p.day) + sep + pad(p.month + 1) + sep + p.year + ', ' + pad(p.hour) + ':' + pad(p.minute);
  }

  function isAstanaMidnight(ms) {
    var p = astanaParts(ms);
    return p.hour === 0 && p.minute === 0 && p.second === 0 && ms % 1000 === 0;
  }

  // ---- numbers and plurals ----

  var NUMBERS = {
    kk: { group: '\u00a0', decimal: ',', percent: '{n}%' },
    ru: { group: '\u00a0', decimal: ',', percent: '{n}\u00a0%' },
    en: { group: ',', decimal: '.', percent: '{n}%' }
  };

  // 1305 → "1 305" (kk, ru: a no-break space) or "1,305" (en); decimals with "," or ".".
  function number(value, lang, decimals) {
    var symbols = NUMBERS[lang] || NUMBERS.ru;
    var text = Math.abs(Number(value)).toFixed(decimals || 0).split('.');
    var whole = text[0].replace(/\B(?=(\d{3})+(?!\d))/g, symbols.group);
    return (Number(value) < 0 ? '\u2212' : '') + whole + (text[1] ? symbols.decimal + text[1] : '');
  }

  // 0.316 → "31,6%" (kk), "31,6 %" (ru), "31.6%" (en); at most `decimals` (1), no trailing zeros.
  function percent(fraction, lang, decimals) {
    var places = decimals === undefined ? 1 : decimals;
    var rounded = Math.round(Number(fraction) * 100 * Math.pow(10, places)) / Math.pow(10, places);
    var shown = rounded % 1 === 0 ? 0 : String(rounded).split('.')[1].length;
    return fill((NUMBERS[lang] || NUMBERS.ru).percent, { n: number(rounded, lang, Math.min(shown, places)) });
  }

  // CLDR's rules: Russian one (1, 21, 101), few (2–4, 22–24), many (0, 5–20, 25…), other
  // (fractions); Kazakh and English one (1) and other.
  function pluralForm(n, lang) {
    if (lang === 'ru') {
      if (n % 1 !== 0) return 'other';
      var m10 = n % 10, m100 = n % 100;
      if (m10 === 1 && m100 !== 11) return 'one';
      if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return 'few';
      return 'many';
    }
    return n === 1 ? 'one' : 'other';
  }

  // forms: {"one": "{n} голос", "few": "{n} голоса", "many": "{n} голосов", "other": ...}
  function plural(forms, n, lang) {
    var form = forms[pluralForm(n, lang)] || forms.other || forms.many;
    return fill(form, { n: number(n, lang) });
  }

  // Places by votes, ties shared ("standard competition" ranking: 1, 1, 3): `votes` in the order
  // shown (most first); each {place, tied}. Nobody holds a place without a vote (place null).
  function places(votes) {
    return votes.map(function (v) {
      if (!(v > 0)) return { place: null, tied: false };
      var above = 0, same = 0;
      votes.forEach(function (w) { if (w > v) above += 1; else if (w === v) same += 1; });
      return { place: above + 1, tied: same > 1 };
    });
  }

  // ---- names for search ----

  var CYRILLIC = {
    'а': 'a', 'ә': 'a', 'б': 'b', 'в': 'v', 'г': 'g', 'ғ': 'g', 'д': 'd', 'е': 'e', 'ё': 'e', 'ж': 'j', 'з': 'z',
    'и': 'i', 'й': 'i', 'і': 'i', 'к': 'k', 'қ': 'k', 'л': 'l', 'м': 'm', 'н': 'n', 'ң': 'n', 'о': 'o', 'ө': 'o',
    'п': 'p', 'р': 'r', 'с': 's', 'т': 't', 'у': 'u', 'ұ': 'u', 'ү': 'u', 'ф': 'f', 'х': 'h', 'һ': 'h', 'ц': 'c',
    'ч': 'c', 'ш': 's', 'щ': 's', 'ъ': '', 'ы': 'i', 'ь': '', 'э': 'e', 'ю': 'iu', 'я': 'ia'
  };
  // Latin spellings brought to the same skeleton: Kazakh Latin (2021) letters lose their marks
  // (ş → s, ğ → g, ü → u…), Russian-style digraphs become one letter.
  var LATIN = [[/ı/g, 'i'], [/dzh|dj|zh/g, 'j'], [/kh|x/g, 'h'], [/gh/g, 'g'], [/sh|sch/g, 's'], [/ch|ts/g, 'c'],
    [/q/g, 'k'], [/w/g, 'u'], [/ye/g, 'e'], [/y/g, 'i']];

  // A name as search compares it: lower case, Kazakh letters as the Russian keyboard types them
  // (ү, ұ → у; і → и; ғ → г; қ → к; ң → н; ө → о; һ → х; ә → а), in Latin letters, so «Сейтқали»,
  // «сейткали», «Seitqali» and «Seytkali» meet; doubled letters count once.
  function fold(text) {
    var lower = String(text).toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    var latin = lower.replace(/[а-яёәғқңөұүһі]/g, function (c) { return CYRILLIC[c] !== undefined ? CYRILLIC[c] : c; });
    LATIN.forEach(function (rule) { latin = latin.replace(rule[0], rule[1]); });
    return latin.replace(/[^a-z0-9]+/g, ' ').replace(/([a-z])\1+/g, '$1').trim();
  }

  // Every word of the query is somewhere in the (folded) name: «Ерлан Ахметов» finds «Ахметов Ерлан».
  function matches(foldedName, query) {
    var words = fold(query).split(' ');
    for (var i = 0; i < words.length; i++) {
      if (words[i] && foldedName.indexOf(words[i]) === -1) return false;
    }
    return true;
  }

  // ---- NCALayer ----

  // NCALayer's names of the key stores a person may sign from: a key file, Kaztoken, the Kazakh ID
  // card, eToken 72K and 5110, JaCarta, AKey.
  var STORAGES = ['PKCS12', 'AKKaztokenStore', 'AKKZIDCardStore', 'AKEToken72KStore', 'AKEToken5110Store',
    'AKJaCartaStore', 'AKAKEYStore'];
  var SIGNING_KEYS = ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.1']; // an individual's SIGN key (a ballot)

  function base64Utf8(text) {
    var bytes = new TextEncoder().encode(text), binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  // NCALayer's `sign` (kz.gov.pki.knca.basics): an attached CMS over the UTF-8 `text`. `keys`: the
  // extended key usages the key must have ([] any key). Rejects with {ncalayer: 'ncalayer_missing' |
  // 'cancelled' | 'ncalayer_error', detail}.
  function ncalayerSign(url, text, keys, lang) {
    var request = {
      module: 'kz.gov.pki.knca.basics',
      method: 'sign',
      args: {
        allowedStorages: STORAGES,
        format: 'cms',
        data: base64Utf8(text),
        signingParams: { decode: true, encapsulate: true, digested: false },
        signerParams: { extKeyUsageOids: keys },
        locale: lang
      }
    };
    return new Promise(function (resolve, reject) {
      var socket, settled = false, opened = false, openTimer;
      function fail(kind, detail) {
        if (settled) return;
        settled = true;
        clearTimeout(openTimer);
        try { socket.close(); } catch (e) { /* already closed */ }
        reject({ ncalayer: kind, detail: detail || '' });
      }
      try {
        socket = new WebSocket(url);
      } catch (e) {
        reject({ ncalayer: 'ncalayer_missing' });
        return;
      }
      openTimer = setTimeout(function () { if (!opened) fail('ncalayer_missing'); }, 10000);
      socket.onopen = function () {
        opened = true;
        clearTimeout(openTimer);
        socket.send(JSON.stringify(request));
      };
      socket.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (!message || typeof message !== 'object' || !('status' in message)) return; // greeting etc.
        if (message.status === true || message.status === 'true') {
          var result = message.body && message.body.result;
          var cms = Array.isArray(result) ? result[0] : result;
          if (typeof cms === 'string' && cms.length > 0) {
            settled = true;
            try { socket.close(); } catch (e) { /* fine */ }
            resolve(cms);
          } else {
            fail('ncalayer_error', 'empty result');
          }
          return;
        }
        var said = String(message.message || message.code || '');
        fail(/cancel/i.test(said) ? 'cancelled' : 'ncalayer_error', said);
      };
      socket.onerror = function () { /* the close event follows */ };
      socket.onclose = function () { fail('ncalayer_missing'); };
    });
  }

  global.VotingCommon = {
    LANGUAGES: LANGUAGES,
    chosenLanguage: chosenLanguage,
    rememberLanguage: rememberLanguage,
    byId: byId,
    el: el,
    fill: fill,
    text: text,
    applyWords: applyWords,
    local: local,
    clock: clock,
    date: date,
    dateTime: dateTime,
    shortDateTime: shortDateTime,
    isAstanaMidnight: isAstanaMidnight,
    number: number,
    percent: percent,
    pluralForm: pluralForm,
    plural: plural,
    places: places,
    fold: fold,
    matches: matches,
    ncalayerSign: ncalayerSign,
    SIGNING_KEYS: SIGNING_KEYS
  };
}(window));
