/* The public voting page: plain JavaScript, no framework, no external requests besides the API
   (same origin) and NCALayer (the WebSocket address in <meta name="ncalayer-url">). Signing in
   eGov mobile (when <meta name="egov-mobile"> is "on"): a same-device link on a phone, a QR code
   (an image the server draws) on a computer, then polling the session until the phone has signed.
   Times, numbers, plurals, search folding and NCALayer's call come from common.js (VotingCommon),
   shared with the admin page. */
(function () {
  'use strict';

  var C = window.VotingCommon;
  var STORAGE_KEY = 'voting.lang';
  var PKI = 'https://pki.gov.kz/';
  var NCALAYER_DOWNLOAD = 'https://pki.gov.kz/ncalayer/';
  var EGOV_MOBILE_STORES = [['App Store', 'https://apps.apple.com/kz/app/egov-mobile/id1476128386'],
    ['Google Play', 'https://play.google.com/store/apps/details?id=kz.mobile.mgov']];

  // The page's own words (web/texts.json) and the server's refusal texts, in one generated asset.
  var T = window.VOTING_TEXTS.page;
  var REJECTIONS = window.VOTING_TEXTS.rejections;

  // What the page offers after each outcome: sign again, send the signed ballot again, reload,
  // or go to the receipt check; and which pki.gov.kz page helps.
  var POLL_FIRST_MS = 2000; // eGov mobile sessions: the first poll after 2 s,
  var POLL_GROWTH = 1.15; // then a little slower each time while the phone has not signed,
  var POLL_MAX_MS = 6000; // never slower than this while the server answers,
  var POLL_ERROR_MAX_MS = 20000; // and backing off to this while it does not
  var RETRY_SIGN = ['ncalayer_missing', 'cancelled', 'ncalayer_error', 'not_an_individual',
    'certificate_not_for_signing', 'certificate_expired', 'certificate_revoked', 'certificate_not_yet_valid',
    'untrusted_certificate', 'invalid_signature', 'invalid_challenge', 'busy_retry'];
  var LINK_NCALAYER = ['ncalayer_missing', 'ncalayer_error', 'invalid_signature', 'malformed_request'];
  var LINK_PKI = ['certificate_expired', 'certificate_revoked', 'untrusted_certificate'];
  // The state is asked again now and then (an early close, the tally), never all pages at once:
  // every few minutes with a random spread while voting is open, more often while results are due.
  var REFRESH_OPEN_MS = 5 * 60 * 1000;
  var REFRESH_CLOSED_MS = 2 * 60 * 1000;
  var REFRESH_SPREAD = 0.3;

  // [title, text] for an outcome: the page's own states (NCALayer, network, busy) or the
  // server's refusal codes.
  function problemWords(code) {
    var own = T[state.lang].problems[code];
    if (own) return own;
    var known = REJECTIONS[code];
    if (known) return [known.title[state.lang], known.message[state.lang]];
    return T[state.lang].problems.failed;
  }

  var state = {
    lang: 'ru',
    contest: null,
    byNominee: {},
    offset: 0, // server clock minus this computer's clock, in ms
    status: null,
    selected: null,
    step: 'choose',
    pendingCms: null,
    busy: false,
    problem: null,
    results: null,
    resultsLoaded: false,
    vote: null,
    check: null,
    timer: null,
    method: 'ncalayer', // how the last signature was asked for: 'ncalayer' or 'mobile'
    mobile: null, // the eGov mobile session shown: {id, qr, link, expiresAt, status (waiting|expired), delay, retrying}
    pollTimer: null,
    refreshTimer: null,
    lastRefresh: 0
  };
  var ncalayerUrl = 'wss://127.0.0.1:13579';
  var egovMobile = false;
  var publicUrl = '';
  var phone = false;

  // A phone signs with eGov mobile on the same device; a computer shows a QR code for it.
  function onPhone() {
    if (navigator.userAgentData && navigator.userAgentData.mobile) return true;
    if (/Android|iPhone|iPad|iPod|Mobile/i.test(navigator.userAgent)) return true;
    return window.matchMedia('(pointer: coarse)').matches && window.matchMedia('(max-width: 50rem)').matches;
  }

  var $ = C.byId, el = C.el;

  var fill = C.fill;

  function t(key, vars) { return C.text(T, state.lang, key, vars); }

  function plural(key, n) {
    return C.plural(T[state.lang][key], n, state.lang);
  }

  function local(map) { return C.local(map, state.lang); }

  function regionKey(region) { // one name per region whatever the language: its Russian form
    return typeof region === 'string' ? region : region.ru;
  }

  // ---- time (Astana, from the fixed UTC+5 offset: VotingCommon) ----

  function now() { return Date.now() + state.offset; }

  function dateTime(ms) { return C.dateTime(ms, state.lang); }

  function closingText(ms) { // "until 5 October inclusive" when voting ends at an Astana midnight
    return C.isAstanaMidnight(ms) ? t('inclusive', { date: C.date(ms - 1, state.lang, true) }) : dateTime(ms);
  }

  function duration(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(total / 86400), h = Math.floor(total % 86400 / 3600);
    var m = Math.floor(total % 3600 / 60), s = total % 60;
    if (d > 0) return [plural('d', d), plural('h', h), plural('m', m)].join(' ');
    if (h > 0) return [plural('h', h), plural('m', m)].join(' ');
    return [plural('m', m), plural('s', s)].join(' ');
  }

  // ---- the API (same origin, relative to the page, so a stage prefix such as /api/ works) ----

  function api(method, path, body) {
    var headers = { 'Accept': 'application/json', 'Accept-Language': state.lang };
    var options = { method: method, headers: headers, cache: 'no-store', credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, data: data || {}, headers: response.headers };
      });
    }, function () {
      throw { network: true };
    });
  }

  function contestPath(suffix) {
    return 'contests/' + encodeURIComponent(state.contest.id) + (suffix || '');
  }

  // ---- rendering ----

  function applyStaticTexts() {
    C.applyWords(T, state.lang);
    Array.prototype.forEach.call(document.querySelectorAll('[data-lang]'), function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === state.lang));
    });
  }

  function renderHeader() {
    var c = state.contest;
    var opens = Date.parse(c.opens_at), closes = Date.parse(c.closes_at);
    $('contest-title').textContent = local(c.title);
    document.title = local(c.title);
    $('opens').textContent = dateTime(opens);
    $('closes').textContent = closingText(closes);
    var planned = c.closed_early && c.planned_closes_at ? Date.parse(c.planned_closes_at) : null;
    $('planned-row').hidden = !planned;
    if (planned) $('planned').textContent = closingText(planned);
    var phase = $('phase');
    phase.className = 'phase phase-' + (state.status === 'open' ? 'open' : state.status === 'upcoming' ? 'upcoming' : 'closed');
    if (state.status === 'open') phase.textContent = t('phaseOpen');
    else if (state.status === 'upcoming') phase.textContent = t('phaseUpcoming', { date: dateTime(opens) });
    else if (c.closed_early) phase.textContent = t('phaseClosedEarly', { time: dateTime(closes) });
    else phase.textContent = t('phaseClosed');
    var note = $('phase-note');
    note.textContent = state.status !== 'closed' ? '' : c.status === 'tallied' ? '' :
      c.results_expected_at ? t('resultsExpected', { time: dateTime(Date.parse(c.results_expected_at)) }) :
        t('resultsToCommission');
    note.hidden = !note.textContent;
    renderAbout();
    tick();
  }

  // Who runs the contest, by which rules, what is kept of a vote and where to ask: from the contest
  // file (the page's own notice of what the service keeps when the file has none).
  function renderAbout() {
    var c = state.contest;
    var organiser = local(c.organiser);
    $('organiser').hidden = !organiser;
    $('organiser').textContent = organiser ? t('organiser', { name: organiser }) : '';
    var rules = local(c.rules_url);
    $('rules-line').hidden = !rules;
    if (rules) $('rules').href = rules;
    $('privacy').textContent = local(c.personal_data) || t('privacyDefault');
    var help = c.help || {}, box = $('help');
    box.textContent = '';
    $('help-block').hidden = !help.phone && !help.email;
    function line(label, text, href) {
      var row = el('span', 'help-line', label + ' ');
      var a = el('a', null, text);
      a.href = href;
      row.appendChild(a);
      box.appendChild(row);
    }
    if (help.phone) line(t('helpPhone'), help.phone, 'tel:' + help.phone.replace(/[^+0-9]/g, ''));
    if (help.email) line(t('helpEmail'), help.email, 'mailto:' + help.email);
    if (help.hours) box.appendChild(el('span', 'help-line', local(help.hours)));
  }

  function tick() {
    if (!state.contest) return;
    renderMobileStatus();
    var c = state.contest, box = $('countdown');
    var opens = Date.parse(c.opens_at), closes = Date.parse(c.closes_at), at = now();
    if (state.status === 'upcoming') {
      if (at >= opens) { refreshSoon(); return; }
      box.textContent = t('countdownOpen', { d: duration(opens - at) });
      box.hidden = false;
    } else if (state.status === 'open') {
      if (at >= closes) { refreshSoon(); return; }
      box.textContent = t('countdownClose', { d: duration(closes - at) });
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  function renderList() {
    var c = state.contest, selectable = state.status === 'open';
    var container = $('nominations'), jump = $('jump-list');
    var regions = {};
    var fragment = document.createDocumentFragment(), jumpFragment = document.createDocumentFragment();
    c.nominations.forEach(function (nomination) {
      var set = el('fieldset', 'nomination');
      set.id = 'nomination-' + nomination.id;
      var legend = el('legend');
      legend.appendChild(el('span', 'nomination-title', local(nomination.title)));
      legend.appendChild(el('span', 'nomination-count', plural('candidates', nomination.nominees.length)));
      set.appendChild(legend);
      var list = el('div', 'nominee-list');
      nomination.nominees.forEach(function (nominee) {
        regions[regionKey(nominee.region)] = local(nominee.region);
        var card = el('div', selectable ? 'nominee' : 'nominee readonly');
        card.setAttribute('data-key', C.fold(nominee.name));
        card.setAttribute('data-region', regionKey(nominee.region));
        var nameId = 'name-' + nominee.id, metaId = 'meta-' + nominee.id;
        if (selectable) {
          var input = el('input');
          input.type = 'radio';
          input.name = 'nominee';
          input.value = nominee.id;
          input.id = 'nominee-' + nominee.id;
          input.checked = state.selected === nominee.id;
          input.setAttribute('aria-describedby', metaId);
          card.appendChild(input);
          var label = el('label', 'name', nominee.name);
          label.htmlFor = input.id;
          label.id = nameId;
          card.appendChild(label);
          if (input.checked) card.classList.add('checked');
        } else {
          card.appendChild(el('p', 'name', nominee.name));
        }
        var meta = el('div', 'meta');
        meta.id = metaId;
        var where = el('p', 'where');
        where.appendChild(el('span', 'region', local(nominee.region)));
        where.appendChild(el('span', 'org', local(nominee.organization)));
        meta.appendChild(where);
        var about = local(nominee.description);
        if (about) meta.appendChild(el('p', 'about', about));
        card.appendChild(meta);
        list.appendChild(card);
      });
      set.appendChild(list);
      fragment.appendChild(set);
      var item = el('li'), link = el('a', null, local(nomination.title));
      link.href = '#' + set.id;
      item.appendChild(link);
      jumpFragment.appendChild(item);
    });
    container.textContent = '';
    container.appendChild(fragment);
    jump.textContent = '';
    jump.appendChild(jumpFragment);
    $('jump').hidden = c.nominations.length < 2;

    var select = $('region'), current = select.value;
    while (select.options.length > 1) select.remove(1);
    var collation = state.lang === 'en' ? 'en' : 'ru';
    Object.keys(regions).sort(function (a, b) { return regions[a].localeCompare(regions[b], collation); })
      .forEach(function (key) {
        var option = el('option', null, regions[key]);
        option.value = key;
        select.appendChild(option);
      });
    select.value = regions[current] ? current : '';
    applyFilter();
  }

  function applyFilter() {
    var query = C.fold($('q').value), region = $('region').value, shown = 0, total = 0;
    Array.prototype.forEach.call(document.querySelectorAll('#nominations .nomination'), function (set) {
      var visible = 0;
      Array.prototype.forEach.call(set.querySelectorAll('.nominee'), function (card) {
        total += 1;
        var match = (!query || C.matches(card.getAttribute('data-key'), query)) &&
          (!region || card.getAttribute('data-region') === region);
        if (card.hidden === match) card.hidden = !match;
        if (match) visible += 1;
      });
      set.hidden = visible === 0;
      shown += visible;
    });
    $('found').textContent = !query && !region ? '' :
      shown === 0 ? t('noneFound') : t('found', { n: shown, total: total });
  }

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function selectedInfo() {
    return state.selected ? state.byNominee[state.selected] : null;
  }

  function renderChoice() {
    var info = selectedInfo();
    $('choice-line').textContent = info ? t('choiceLine', { name: info.nominee.name }) : t('choiceNone');
    $('confirm-name').textContent = info ? info.nominee.name : '';
    var details = $('confirm-details');
    details.textContent = '';
    if (info) {
      [t('inNomination', { title: local(info.nomination.title) }), local(info.nominee.region),
        local(info.nominee.organization)]
        .forEach(function (line) { details.appendChild(el('span', null, line)); });
    }
  }

  function renderSteps() {
    var open = state.status === 'open';
    var voting = open && state.step !== 'done';
    $('rule').hidden = !voting;
    // Before and after voting the candidates stay on the page, read-only.
    $('step-choose').hidden = state.step !== 'choose' && open;
    $('choose-title').textContent = open ? t('chooseTitle') : t('candidatesTitle');
    $('votebar').hidden = !open;
    $('ballot-legend').hidden = !open;
    $('step-confirm').hidden = state.step !== 'confirm';
    renderSignButtons();
    $('step-done').hidden = state.step !== 'done';
    $('results').hidden = state.status === 'open' || state.status === 'upcoming';
  }

  function renderDone() {
    var vote = state.vote;
    if (!vote) return;
    var info = state.byNominee[vote.nominee];
    $('done-choice').textContent = info ? info.nominee.name : vote.nominee;
    $('done-details').textContent = info ? t('inNomination', { title: local(info.nomination.title) }) : '';
    $('done-time').textContent = t('doneTime', { time: dateTime(Date.parse(vote.cast_at)) });
    $('done-title').textContent = vote.recovered ? t('recoveredTitle') : t('doneTitle');
    $('done-repeat').textContent = vote.recovered ? t('recoveredNote') : t('doneRepeat');
    $('done-repeat').hidden = !vote.repeated && !vote.recovered;
    $('receipt').textContent = vote.receipt;
    var link = checkLink(vote.receipt);
    $('check-link').textContent = link;
    $('check-link').href = link;
    var qr = $('receipt-qr');
    qr.alt = t('receiptQrAlt');
    qr.hidden = !publicUrl;
    var source = 'receipts/' + encodeURIComponent(vote.receipt) + '/qr';
    if (publicUrl && qr.getAttribute('src') !== source) qr.src = source;
    $('print-contest').textContent = local(state.contest.title);
    $('done-counted').textContent = vote.counted === true ? t('checkCountedTrue') :
      vote.counted === false ? t('checkCountedFalse') : '';
  }

  // The address that checks this receipt when opened: the stage's public one if it has one.
  function checkLink(receipt) {
    var base = publicUrl ? publicUrl.replace(/\/?$/, '/') : window.location.origin + window.location.pathname;
    return base + '?receipt=' + encodeURIComponent(receipt);
  }

  function renderProblem() {
    var box = $('problem'), problem = state.problem;
    box.textContent = '';
    box.hidden = !problem;
    renderSignButtons();
    if (!problem) return;
    var words = problemWords(problem.code);
    box.appendChild(el('h3', 'problem-title', words[0]));
    box.appendChild(el('p', null, fill(words[1], { n: problem.retryAfter || 2 })));
    if (problem.detail) box.appendChild(el('p', 'detail', 'NCALayer: ' + problem.detail));
    var actions = el('div', 'actions');
    function button(key, handler, primary) {
      var b = el('button', primary ? 'primary' : 'secondary', t(key));
      b.type = 'button';
      b.addEventListener('click', handler);
      actions.appendChild(b);
    }
    function link(key, href) {
      var a = el('a', 'outlink', t(key) + ' ');
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.appendChild(el('span', 'visually-hidden', t('newTab')));
      box.appendChild(a);
    }
    if (LINK_NCALAYER.indexOf(problem.code) !== -1) link('linkNcalayer', NCALAYER_DOWNLOAD);
    if (LINK_PKI.indexOf(problem.code) !== -1) link('linkPki', PKI);
    if (problem.code === 'busy_resend' || (problem.code === 'network' && state.pendingCms)) {
      button('sendAgain', function () { vote(true); }, true);
    } else if (RETRY_SIGN.indexOf(problem.code) !== -1 || problem.code === 'network') {
      button('tryAgain', function () { if (state.method === 'mobile') startMobile(); else vote(false); }, true);
    } else if (problem.code === 'already_voted') { // it cannot be changed: offer the receipt instead
      button('showMyReceipt', function () { recoverReceipt(); }, true);
      button('goCheck', function () { $('check-receipt').focus(); }, false);
    } else {
      button('reload', function () { window.location.reload(); }, true);
    }
    box.appendChild(actions);
  }

  function renderResults() {
    var body = $('results-body');
    body.textContent = '';
    if (!state.resultsLoaded) return;
    var results = state.results;
    if (!results) {
      body.appendChild(el('p', 'notice', t('resultsNotYet')));
      return;
    }
    body.appendChild(el('p', 'results-status', results.status === 'final' ? t('resultsFinal') : t('resultsProvisional')));
    body.appendChild(el('p', null, t('resultsTotal', { n: C.number(Number(results.total || 0), state.lang) })));
    if (results.tallied_at) body.appendChild(el('p', null, t('resultsTallied', { time: dateTime(Date.parse(results.tallied_at)) })));
    var titles = {};
    state.contest.nominations.forEach(function (n) { titles[n.id] = n.title; });
    (results.nominations || []).forEach(function (nomination) {
      var section = el('section', 'result-nomination');
      var heading = el('h3', null, local(titles[nomination.id] || nomination.title) || nomination.id);
      section.appendChild(heading);
      section.appendChild(el('p', 'result-total', plural('votes', Number(nomination.total || 0))));
      var list = el('ol', 'bars');
      var total = Number(nomination.total || 0);
      var nominees = nomination.nominees || [];
      var ranks = C.places(nominees.map(function (n) { return Number(n.votes || 0); }));
      var leaders = nominees.filter(function (n, i) { return ranks[i].place === 1 && ranks[i].tied; });
      if (leaders.length) {
        section.appendChild(el('p', 'tie-note', t('tieFirst', { names: leaders.map(function (n) { return n.name; }).join(', ') })));
      }
      nominees.forEach(function (nominee, i) {
        var votes = Number(nominee.votes || 0);
        var share = total > 0 ? votes / total : 0;
        var item = el('li', 'bar-row');
        var line = el('p', 'bar-label');
        if (ranks[i].place) {
          line.appendChild(el('span', 'bar-place', t('place', { n: ranks[i].place }) + (ranks[i].tied ? ' · ' + t('tie') : '')));
        }
        line.appendChild(el('span', 'bar-name', nominee.name || (state.byNominee[nominee.id] || { nominee: { name: nominee.id } }).nominee.name));
        line.appendChild(el('span', 'bar-value', plural('votes', votes) + ' · ' + C.percent(share, state.lang)));
        item.appendChild(line);
        var track = el('div', 'bar-track');
        track.setAttribute('aria-hidden', 'true');
        var fillBar = el('div', 'bar-fill');
        fillBar.style.width = (share * 100).toFixed(2) + '%'; // CSSOM: allowed by the CSP
        track.appendChild(fillBar);
        item.appendChild(track);
        list.appendChild(item);
      });
      section.appendChild(list);
      body.appendChild(section);
    });
    body.appendChild(el('p', 'hint', t('resultsNote')));
    if (results.digest) body.appendChild(el('p', 'digest', t('resultsDigest', { digest: results.digest })));
  }

  function renderCheck() {
    var box = $('check-result'), check = state.check;
    box.textContent = '';
    box.className = 'check-result';
    if (!check) return;
    if (check.kind === 'found') {
      var r = check.receipt, info = state.byNominee[r.nominee];
      var nominationTitle = info ? local(info.nomination.title) : '';
      var name = info ? info.nominee.name : r.nominee;
      if (r.contest !== state.contest.id) nominationTitle = nominationTitle || r.contest;
      box.classList.add('ok');
      box.appendChild(el('p', null, t('checkFound', { name: name, nomination: nominationTitle, time: dateTime(Date.parse(r.cast_at)) })));
      box.appendChild(el('p', null, r.counted === true ? t('checkCountedTrue') :
        r.counted === false ? t('checkCountedFalse') : t('checkCountedNull')));
    } else if (check.kind === 'progress') {
      box.appendChild(el('p', 'progress', t(check.key)));
    } else {
      box.classList.add('bad');
      var words = check.kind === 'problem' ? problemWords(check.code) : null;
      box.appendChild(el('p', null, words ? words[0] + '. ' + fill(words[1], { n: 2 }) : t(check.kind)));
      if (check.kind === 'problem' && LINK_NCALAYER.indexOf(check.code) !== -1) {
        var a = el('a', 'outlink', t('linkNcalayer') + ' ');
        a.href = NCALAYER_DOWNLOAD;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        a.appendChild(el('span', 'visually-hidden', t('newTab')));
        box.appendChild(a);
      }
    }
  }

  function renderAll() {
    applyStaticTexts();
    if (!state.contest) return;
    renderHeader();
    renderList();
    renderChoice();
    renderSteps();
    renderDone();
    renderProblem();
    renderMobile();
    renderResults();
    renderCheck();
  }

  // ---- actions ----

  function setLanguage(lang) {
    if (C.LANGUAGES.indexOf(lang) === -1) return;
    state.lang = lang;
    C.rememberLanguage(STORAGE_KEY, lang);
    renderAll();
    if (!state.contest) {
      var fatal = $('fatal');
      if (!fatal.hidden && fatal.getAttribute('data-key')) fatal.textContent = t(fatal.getAttribute('data-key'));
    }
  }

  function showStep(step, focusId) {
    state.step = step;
    renderSteps();
    var target = $(focusId);
    if (target) {
      target.focus({ preventScroll: true });
      (target.closest('section') || target).scrollIntoView({ block: 'start' });
    }
  }

  function onSubmitChoice(event) {
    event.preventDefault();
    var error = $('choose-error');
    if (!state.selected) {
      error.textContent = t('chooseFirst');
      error.hidden = false;
      var first = document.querySelector('#nominations input[name="nominee"]:not([hidden])');
      if (first) first.focus();
      return;
    }
    error.hidden = true;
    state.problem = null;
    renderProblem();
    showStep('confirm', 'confirm-title');
  }

  function progress(key) {
    $('progress').textContent = key ? t(key) : '';
  }

  function setBusy(busy) {
    state.busy = busy;
    ['sign', 'sign-mobile', 'show-qr', 'back', 'mobile-new', 'recover'].forEach(function (id) { $(id).disabled = busy; });
    $('sign').setAttribute('aria-busy', String(busy));
  }

  function showProblem(code, extra) {
    state.problem = Object.assign({ code: code }, extra || {});
    renderProblem();
    var box = $('problem');
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: 'center' });
  }

  function problemFromResponse(response, signed) {
    var code = response.data && response.data.error;
    if (code === 'unavailable' || response.status === 503 || response.status === 429) {
      var wait = parseInt(response.headers.get('Retry-After') || '2', 10);
      return { code: signed ? 'busy_resend' : 'busy_retry', retryAfter: isNaN(wait) ? 2 : Math.min(Math.max(wait, 1), 120) };
    }
    if (REJECTIONS[code] || T.ru.problems[code]) return { code: code };
    return { code: 'failed' };
  }

  function vote(resend) {
    if (state.busy || !state.selected) return;
    stopMobile();
    state.method = 'ncalayer';
    setBusy(true);
    state.problem = null;
    renderProblem();
    var contestId = state.contest.id, nominee = state.selected;
    var ready;
    if (resend && state.pendingCms) {
      ready = Promise.resolve(state.pendingCms);
    } else {
      state.pendingCms = null;
      progress('progressChallenge');
      ready = api('POST', contestPath('/challenges'), {}).then(function (response) {
        if (response.status !== 201 || !response.data.challenge) throw { response: response, signed: false };
        progress('progressSign');
        var ballot = JSON.stringify({ v: 1, contest: contestId, nominee: nominee, challenge: response.data.challenge });
        return C.ncalayerSign(ncalayerUrl, ballot, C.SIGNING_KEYS, state.lang);
      }).then(function (cms) {
        state.pendingCms = cms;
        return cms;
      });
    }
    ready.then(function (cms) {
      progress('progressSend');
      return api('POST', contestPath('/votes'), { cms: cms });
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        state.pendingCms = null;
        showReceipt(Object.assign({ repeated: response.status === 200 }, response.data));
        return;
      }
      throw { response: response, signed: true };
    }).catch(showFailure).then(function () {
      setBusy(false);
      progress('');
    });
  }

  // The receipt of whoever signs a receipt request, with any key of theirs (a sign-in key too): the
  // person is the certificate's IIN, so it is their vote's receipt whichever key voted.
  function recoverReceipt() {
    if (state.busy) return;
    setBusy(true);
    state.check = { kind: 'progress', key: 'progressRecover' };
    renderCheck();
    var contestId = state.contest.id;
    api('POST', contestPath('/challenges'), { purpose: 'receipt-request' }).then(function (response) {
      if (response.status !== 201 || !response.data.challenge) throw { response: response, signed: false };
      var request = JSON.stringify({ v: 1, purpose: 'receipt-request', contest: contestId, challenge: response.data.challenge });
      return C.ncalayerSign(ncalayerUrl, request, [], state.lang);
    }).then(function (cms) {
      return api('POST', contestPath('/receipt-requests'), { cms: cms });
    }).then(function (response) {
      if (response.status !== 200 || !response.data.receipt) throw { response: response, signed: true };
      state.check = null;
      renderCheck();
      state.problem = null;
      renderProblem();
      showReceipt(Object.assign({ recovered: true }, response.data));
    }).catch(function (failure) {
      failure = failure || {};
      var code = failure.ncalayer || (failure.network ? 'network' :
        failure.response ? problemFromResponse(failure.response, false).code : 'failed');
      state.check = { kind: 'problem', code: code };
      renderCheck();
      $('check').scrollIntoView({ block: 'start' });
      $('check-result').focus({ preventScroll: true });
    }).then(function () { setBusy(false); });
  }

  function showReceipt(vote) { // the one receipt view, whichever way the ballot was signed
    state.vote = vote;
    $('check-receipt').value = vote.receipt || '';
    renderDone();
    showStep('done', 'done-title');
  }

  function showFailure(failure) {
    failure = failure || {};
    if (failure.ncalayer) {
      showProblem(failure.ncalayer, failure.ncalayer === 'ncalayer_error' ? { detail: String(failure.detail).slice(0, 200) } : {});
    } else if (failure.network) {
      showProblem('network');
    } else if (failure.response) {
      var problem = problemFromResponse(failure.response, failure.signed);
      if (problem.code !== 'busy_resend') state.pendingCms = null;
      showProblem(problem.code, problem);
    } else {
      showProblem('failed');
    }
  }

  // ---- eGov mobile ----

  function renderSignButtons() {
    var waiting = !!state.mobile;
    var blocked = !!state.problem || waiting;
    $('sign').hidden = blocked;
    $('sign').className = egovMobile && phone ? 'secondary' : 'primary';
    $('sign-mobile').hidden = blocked || !egovMobile || !phone;
    $('show-qr').hidden = blocked || !egovMobile || phone;
    $('sign-bar').classList.toggle('two-ways', egovMobile && phone && !blocked);
    // A vote cannot be changed: once the person has voted there is no choice to go back to.
    $('back').hidden = !!state.problem && state.problem.code === 'already_voted';
  }

  function renderMobile() {
    var m = state.mobile, panel = $('mobile');
    panel.hidden = !m || state.step !== 'confirm';
    renderSignButtons();
    if (!m) return;
    var waiting = m.status === 'waiting';
    var title = t(phone ? 'mobileTitlePhone' : 'mobileTitleQr');
    if (m.status === 'expired') title = phone ? t('mobileExpiredTitlePhone') : REJECTIONS.session_expired.title[state.lang];
    $('mobile-title').textContent = title;
    $('mobile-help').textContent = t(phone ? 'mobileHelpPhone' : 'mobileHelpQr');
    $('mobile-help').hidden = !waiting;
    var qr = $('qr');
    qr.alt = t('qrAlt');
    var source = contestPath('/mobile-signatures/' + encodeURIComponent(m.id) + '/qr');
    if (!phone && qr.getAttribute('src') !== source) qr.src = source;
    qr.hidden = phone || !waiting;
    var link = $('mobile-link');
    link.href = m.link;
    link.textContent = t('openEgov');
    link.hidden = !phone || !waiting;
    $('mobile-text-box').hidden = !waiting;
    $('mobile-text-label').textContent = t(phone ? 'linkText' : 'qrText');
    $('mobile-text').textContent = phone ? m.link : m.qr;
    var stores = $('get-app');
    stores.textContent = t('getEgov') + ' ';
    EGOV_MOBILE_STORES.forEach(function (store, i) {
      if (i) stores.appendChild(document.createTextNode(' · '));
      var a = el('a', null, store[0]);
      a.href = store[1];
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      stores.appendChild(a);
    });
    var again = $('mobile-new');
    again.hidden = waiting;
    again.textContent = t(phone ? 'mobileNewLink' : 'mobileNewQr');
    renderMobileStatus();
  }

  function renderMobileStatus() {
    var m = state.mobile, line = $('mobile-status');
    if (!m) { line.textContent = ''; return; }
    if (m.status === 'waiting') {
      line.textContent = m.retrying ? t('mobileRetrying') :
        t(phone ? 'mobileWaitingPhone' : 'mobileWaiting', { time: duration(Math.max(0, m.expiresAt - now())) });
    } else {
      line.textContent = t(phone ? 'mobileExpiredPhone' : 'mobileExpiredQr');
    }
  }

  function stopMobile() {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
    state.mobile = null;
    renderMobile();
  }

  function startMobile() {
    if (state.busy || !state.selected) return;
    stopMobile();
    state.method = 'mobile';
    state.problem = null;
    renderProblem();
    setBusy(true);
    progress('progressMobile');
    api('POST', contestPath('/mobile-signatures'), { nominee: state.selected }).then(function (response) {
      if (response.status !== 201 || !response.data.id) throw { response: response, signed: false };
      var d = response.data;
      state.mobile = { id: d.id, qr: d.qr, link: d.link, expiresAt: Date.parse(d.expires_at), status: 'waiting',
        delay: POLL_FIRST_MS, retrying: false };
      renderMobile();
      $('mobile-title').focus({ preventScroll: true });
      $('mobile').scrollIntoView({ block: 'start' });
      schedulePoll(state.mobile);
    }).catch(showFailure).then(function () {
      setBusy(false);
      progress('');
    });
  }

  // The next poll: after the session's delay, but never later than just after its expiry, so the
  // page learns "expired" (or a signature in the last second) and then stops.
  function schedulePoll(m) {
    clearTimeout(state.pollTimer);
    var untilExpiry = Math.max(0, m.expiresAt - now()) + 500;
    state.pollTimer = setTimeout(function () { pollMobile(m); }, Math.min(m.delay, untilExpiry));
  }

  function pollMobile(m) {
    if (state.mobile !== m || m.status !== 'waiting') return;
    api('GET', contestPath('/mobile-signatures/' + encodeURIComponent(m.id))).then(function (response) {
      if (state.mobile !== m) return;
      var data = response.data || {};
      if (response.status === 200 && data.status === 'accepted' && data.vote) {
        stopMobile();
        showReceipt(Object.assign({ repeated: false }, data.vote));
        return;
      }
      if (response.status === 200 && data.status === 'rejected') { // the refusal's own words; trying again starts anew
        stopMobile();
        var code = data.error && data.error.error;
        showProblem(REJECTIONS[code] ? code : 'failed');
        return;
      }
      if ((response.status === 200 && data.status === 'expired') || response.status === 404) {
        m.status = 'expired';
        renderMobile();
        return;
      }
      if (response.status === 200) {
        m.retrying = false;
        m.delay = Math.min(m.delay * POLL_GROWTH, POLL_MAX_MS);
      } else { // busy or failing: back off, as Retry-After asks
        var wait = parseInt(response.headers.get('Retry-After') || '0', 10) * 1000;
        m.retrying = true;
        m.delay = Math.min(Math.max(m.delay * 2, isNaN(wait) ? 0 : wait), POLL_ERROR_MAX_MS);
      }
      renderMobileStatus();
      schedulePoll(m);
    }, function () {
      if (state.mobile !== m) return;
      m.retrying = true;
      m.delay = Math.min(m.delay * 2, POLL_ERROR_MAX_MS);
      renderMobileStatus();
      schedulePoll(m);
    });
  }

  function pollNow() { // back on the page (from the eGov mobile app): ask at once
    var m = state.mobile;
    if (document.visibilityState === 'visible' && m && m.status === 'waiting') {
      m.delay = POLL_FIRST_MS;
      clearTimeout(state.pollTimer);
      pollMobile(m);
    }
  }

  function copyReceipt() {
    var code = $('receipt'), status = $('copied');
    function manual() {
      var range = document.createRange();
      range.selectNodeContents(code);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      status.textContent = ok ? t('copied') : t('copyFailed');
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code.textContent).then(function () { status.textContent = t('copied'); }, manual);
    } else {
      manual();
    }
  }

  // A receipt as typed: any case, spaces or none, dashes or none → ABCD-EFGH-…; null if it cannot be one.
  function normalizeReceipt(text) {
    var compact = String(text).replace(/[\s\-\u2010-\u2015]/g, '').toUpperCase();
    if (!/^[A-Z2-7]{24}$/.test(compact)) return null;
    return compact.match(/.{4}/g).join('-');
  }

  function checkReceipt(event) {
    if (event) event.preventDefault();
    var typed = $('check-receipt').value.trim();
    if (!typed) {
      state.check = { kind: 'checkEmpty' };
      renderCheck();
      $('check-receipt').focus();
      return;
    }
    var code = normalizeReceipt(typed);
    if (!code) {
      state.check = { kind: 'problem', code: 'receipt_not_found' };
      renderCheck();
      return;
    }
    $('check-receipt').value = code;
    api('GET', 'receipts/' + encodeURIComponent(code)).then(function (response) {
      if (response.status === 200) state.check = { kind: 'found', receipt: response.data };
      else state.check = { kind: 'problem', code: problemFromResponse(response, false).code };
      renderCheck();
    }, function () {
      state.check = { kind: 'problem', code: 'network' };
      renderCheck();
    });
  }

  function showFatal(key) {
    $('loading').hidden = true;
    var fatal = $('fatal');
    fatal.setAttribute('data-key', key);
    fatal.textContent = t(key);
    fatal.hidden = false;
    fatal.focus();
  }

  function loadResults() {
    return api('GET', contestPath('/results')).then(function (response) {
      state.results = response.status === 200 && response.data && response.data.nominations ? response.data : null;
    }, function () {
      state.results = null;
    }).then(function () {
      state.resultsLoaded = true;
      renderResults();
    });
  }

  function indexNominees(contest) {
    state.byNominee = {};
    contest.nominations.forEach(function (nomination) {
      nomination.nominees.forEach(function (nominee) {
        state.byNominee[nominee.id] = { nominee: nominee, nomination: nomination };
      });
    });
  }

  function loadContest(id) {
    var sentAt = Date.now();
    return api('GET', 'contests/' + encodeURIComponent(id)).then(function (response) {
      if (response.status === 404) { showFatal('contestMissing'); return; }
      if (response.status !== 200 || !response.data.nominations) { showFatal('loadFailed'); return; }
      var contest = response.data;
      var receivedAt = Date.now();
      if (contest.server_time) state.offset = Date.parse(contest.server_time) - (sentAt + receivedAt) / 2;
      var wasOpen = state.status === 'open';
      state.contest = contest;
      state.status = contest.status === 'tallied' ? 'closed' : contest.status;
      if (state.status !== 'open' && state.step !== 'done') state.step = 'choose';
      if (wasOpen && state.status !== 'open') { stopMobile(); state.problem = null; }
      indexNominees(contest);
      if (state.selected && !state.byNominee[state.selected]) state.selected = null;
      $('loading').hidden = true;
      $('app').hidden = false;
      state.lastRefresh = Date.now();
      renderAll();
      if (state.status === 'closed') loadResults();
      if (!state.timer) state.timer = setInterval(tick, 1000);
      scheduleRefresh();
    });
  }

  // Every open page reaches opens_at and closes_at at the same second: each reloads the contest at
  // a random moment of the next RELOAD_SPREAD_MS, so a million pages do not ask at once.
  var RELOAD_SPREAD_MS = 20000;
  var reloadTimer = null;
  function refreshSoon() {
    if (reloadTimer) return;
    reloadTimer = setTimeout(function () { reloadTimer = null; refresh(); }, Math.random() * RELOAD_SPREAD_MS);
  }

  var refreshing = false;
  function refresh() {
    if (refreshing || !state.contest) return;
    refreshing = true;
    loadContest(state.contest.id).then(null, function () { /* keep what is shown */ }).then(function () {
      refreshing = false;
    });
  }

  function spread(ms) { return ms * (1 - REFRESH_SPREAD + 2 * REFRESH_SPREAD * Math.random()); }

  // The next look at the contest's state: while voting is open now and then (the commission may
  // close it early), after it has closed until the results are out (soon after they are expected);
  // never once they are final. Opening and the planned end are the countdown's (tick).
  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    var c = state.contest;
    if (!c || c.status === 'tallied' || state.status === 'upcoming') return;
    var wait = spread(state.status === 'open' ? REFRESH_OPEN_MS : REFRESH_CLOSED_MS);
    if (state.status === 'closed' && c.results_expected_at) {
      var due = Date.parse(c.results_expected_at) - now();
      if (due > 0) wait = Math.min(wait, due + spread(20000));
    }
    state.refreshTimer = setTimeout(refresh, wait);
  }

  function refreshIfStale() { // back on the page after a while: look again at once
    if (document.visibilityState === 'visible' && Date.now() - state.lastRefresh > 60000) refresh();
  }

  function pickContest() {
    var wanted = new URLSearchParams(window.location.search).get('contest');
    if (wanted) return Promise.resolve(wanted);
    return api('GET', 'contests').then(function (response) {
      if (response.status !== 200) throw { response: response };
      var contests = response.data.contests || [];
      var open = contests.filter(function (c) { return c.status === 'open'; });
      if (open.length) return open[0].id;
      var recent = contests.slice().sort(function (a, b) { return a.opens_at < b.opens_at ? 1 : -1; });
      return recent.length ? recent[0].id : null;
    });
  }

  function initialLanguage() { return C.chosenLanguage(STORAGE_KEY, document.documentElement.lang); }

  function start() {
    var meta = document.querySelector('meta[name="ncalayer-url"]');
    if (meta && meta.content) ncalayerUrl = meta.content;
    var mobileMeta = document.querySelector('meta[name="egov-mobile"]');
    egovMobile = !!mobileMeta && mobileMeta.content === 'on';
    var publicMeta = document.querySelector('meta[name="public-url"]');
    publicUrl = publicMeta && /^https?:\/\//.test(publicMeta.content) ? publicMeta.content : '';
    phone = onPhone();
    if (egovMobile && phone) { // the steps of signing on this phone
      $('how1').setAttribute('data-t', 'how1Phone');
      $('how2').setAttribute('data-t', 'how2Phone');
    }
    $('how-qr').hidden = !egovMobile || phone;
    state.lang = initialLanguage();
    applyStaticTexts();

    Array.prototype.forEach.call(document.querySelectorAll('[data-lang]'), function (button) {
      button.addEventListener('click', function () { setLanguage(button.getAttribute('data-lang')); });
    });
    $('q').addEventListener('input', debounce(applyFilter, 150));
    $('region').addEventListener('change', applyFilter);
    $('nominations').addEventListener('change', function (event) {
      if (event.target.name !== 'nominee') return;
      state.selected = event.target.value;
      Array.prototype.forEach.call(document.querySelectorAll('#nominations .nominee.checked'), function (card) {
        card.classList.remove('checked');
      });
      event.target.parentNode.classList.add('checked');
      $('choose-error').hidden = true;
      renderChoice();
    });
    $('ballot').addEventListener('submit', onSubmitChoice);
    $('sign').addEventListener('click', function () { vote(false); });
    $('sign-mobile').addEventListener('click', startMobile);
    $('show-qr').addEventListener('click', startMobile);
    $('mobile-new').addEventListener('click', startMobile);
    $('mobile-cancel').addEventListener('click', function () {
      stopMobile();
      state.problem = null;
      renderProblem();
      $('confirm-title').focus();
    });
    document.addEventListener('visibilitychange', pollNow);
    document.addEventListener('visibilitychange', refreshIfStale);
    $('back').addEventListener('click', function () {
      stopMobile();
      state.problem = null;
      showStep('choose', 'choose-title');
      var input = state.selected && $('nominee-' + state.selected);
      if (input) {
        input.scrollIntoView({ block: 'center' });
        input.focus({ preventScroll: true });
      }
    });
    $('copy').addEventListener('click', copyReceipt);
    $('print').addEventListener('click', function () { window.print(); });
    $('check-form').addEventListener('submit', checkReceipt);
    $('recover').addEventListener('click', recoverReceipt);

    var asked = new URLSearchParams(window.location.search).get('receipt'); // a printed receipt's QR code
    pickContest().then(function (id) {
      if (!id) { showFatal('noContests'); return; }
      return loadContest(id);
    }).then(function () {
      if (!asked || !state.contest) return;
      $('check-receipt').value = asked.slice(0, 64);
      checkReceipt();
      $('check').scrollIntoView({ block: 'start' });
    }).then(null, function () { showFatal('loadFailed'); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
