/* The commission's page: sign-in with ЭЦП through NCALayer, then per contest the results (by
   nomination, by the nominees' regions, turnout per hour: each chart with its table), the CSV and
   the sealed evidence, the early close and the finalists upload — each change said and asked
   before it is made. Paths are relative to the page, so it works under a stage prefix too. Times,
   numbers, plurals and NCALayer come from common.js (VotingCommon), as on the voting page. */
(function () {
  'use strict';

  var C = window.VotingCommon;
  var TEXTS = JSON.parse(document.getElementById('texts').textContent);
  var T = TEXTS.page, REJECTIONS = TEXTS.rejections;
  var NCALAYER = document.querySelector('meta[name="ncalayer"]').content;
  var REFRESH_MS = 60 * 1000; // provisional results refresh themselves this often
  var WARN_BEFORE_MS = 2 * 60 * 1000; // the session's end is announced this long before

  var state = {
    lang: initialLanguage(),
    token: sessionStorage.getItem('admin-token'),
    expires: sessionStorage.getItem('admin-expires'),
    contests: [],
    current: null,
    results: null,
    refreshTimer: null,
    sessionTimers: []
  };

  function initialLanguage() { return C.chosenLanguage('admin-lang', (navigator.language || 'ru').slice(0, 2)); }

  var $ = C.byId, el = C.el;

  function t(key, vars) { return C.text(T, state.lang, key, vars); }

  function plural(key, n) { return C.plural(T[state.lang][key], n, state.lang); }

  function local(map) { return C.local(map, state.lang); }

  function astana(iso) { return iso ? C.dateTime(Date.parse(iso), state.lang) : '—'; }

  function contestTitle(id) {
    var found = state.contests.filter(function (c) { return c.id === id; })[0];
    return found ? local(found.title) : id;
  }

  function applyTexts() {
    C.applyWords(T, state.lang);
    $('lang').value = state.lang;
    document.title = t('title');
  }

  function showError(message) {
    var box = $('error');
    box.textContent = message || '';
    box.hidden = !message;
    if (message) box.focus();
  }

  // ---- the API ----

  function refusal(status, body) {
    // The server's words for a refusal; the gateway's own 401/403 bodies carry none: the catalogue's.
    if (body.error && body.message) return body.message;
    var code = body.error || (status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : null);
    var known = REJECTIONS[code];
    return known ? known.title[state.lang] + '. ' + known.message[state.lang] : String(status);
  }

  function api(method, path, body, type) {
    var headers = { 'Accept-Language': state.lang };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    if (body !== undefined) headers['Content-Type'] = type || 'application/json';
    return fetch(path, { method: method, headers: headers, body: body, cache: 'no-store' }).then(function (response) {
      if (response.status === 401 && state.token) {
        signOut(t('sessionEnded'));
        throw new Error(t('sessionEnded'));
      }
      return response;
    });
  }

  function json(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      if (!response.ok) {
        var message = refusal(response.status, body);
        if (body.problems && body.problems.length) message += '\n' + body.problems.join('\n');
        throw new Error(message);
      }
      return body;
    });
  }

  function contestPath(suffix) { return 'admin/contests/' + encodeURIComponent(state.current) + suffix; }

  // ---- signing in and the session ----

  function signIn() {
    showError('');
    $('signin').disabled = true;
    $('renew').disabled = true;
    $('hint').textContent = t('signing');
    api('POST', 'admin/challenges', '{}').then(json).then(function (issued) {
      var login = JSON.stringify({ v: 1, purpose: 'admin-login', challenge: issued.challenge });
      return C.ncalayerSign(NCALAYER, login, [], state.lang); // any NCA key of the admin, AUTH too
    }).then(function (cms) {
      return api('POST', 'admin/sessions', JSON.stringify({ cms: cms })).then(json);
    }).then(function (session) {
      state.token = session.token;
      state.expires = session.expires_at;
      sessionStorage.setItem('admin-token', state.token);
      sessionStorage.setItem('admin-expires', state.expires);
      signedIn();
    }).catch(function (failure) {
      if (failure && failure.ncalayer) {
        showError(failure.ncalayer === 'cancelled' ? t('cancelled') : failure.ncalayer === 'ncalayer_missing' ?
          t('nolayer') : t('layerError', { detail: String(failure.detail).slice(0, 200) }));
      } else {
        showError(failure && failure.message);
      }
    }).then(function () {
      $('signin').disabled = false;
      $('renew').disabled = false;
      $('hint').textContent = '';
    });
  }

  function signOut(why) {
    state.token = null;
    sessionStorage.removeItem('admin-token');
    sessionStorage.removeItem('admin-expires');
    clearTimeout(state.refreshTimer);
    state.sessionTimers.forEach(clearTimeout);
    $('app').hidden = true;
    $('login').hidden = false;
    $('signout').hidden = true;
    $('session').textContent = '';
    $('session-warning').hidden = true;
    if (why) showError(why);
  }

  // The session's end, said two minutes before it comes, and then the sign-in again.
  function watchSession() {
    state.sessionTimers.forEach(clearTimeout);
    var left = Date.parse(state.expires) - Date.now();
    $('session').textContent = t('session', { time: C.clock(Date.parse(state.expires)) });
    $('session-warning').hidden = true;
    state.sessionTimers = [
      setTimeout(warnSession, Math.max(0, left - WARN_BEFORE_MS)),
      setTimeout(function () { signOut(t('sessionEnded')); }, Math.max(0, left))
    ];
  }

  function warnSession() {
    var minutes = Math.max(1, Math.round((Date.parse(state.expires) - Date.now()) / 60000));
    $('session-warning-text').textContent = t('sessionEnding', { minutes: plural('minutes', minutes) });
    $('session-warning').hidden = false;
  }

  function signedIn() {
    showError('');
    $('login').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    watchSession();
    loadContests(sessionStorage.getItem('admin-contest'));
  }

  // ---- contests ----

  function statusWord(contest) {
    return t(contest.status === 'closed' && contest.closed_early ? 'st_closed_early' : 'st_' + contest.status);
  }

  // `changed`: what this page has just done to one contest (a close), over the list's copy, which
  // a cache may keep a few seconds longer.
  function loadContests(keep, changed) {
    return fetch('contests', { cache: 'no-store' }).then(json).then(function (body) {
      state.contests = (body.contests || []).map(function (contest) {
        if (!changed || contest.id !== changed.id) return contest;
        var updated = {};
        Object.keys(contest).forEach(function (key) { updated[key] = contest[key]; });
        Object.keys(changed).forEach(function (key) { updated[key] = changed[key]; });
        return updated;
      });
      var select = $('contest');
      select.textContent = '';
      state.contests.forEach(function (contest) {
        var option = el('option', null, local(contest.title) + ' (' + statusWord(contest) + ')');
        option.value = contest.id;
        select.appendChild(option);
      });
      if (keep && state.contests.some(function (c) { return c.id === keep; })) select.value = keep;
      load();
    }).catch(function (error) { showError(error.message); });
  }

  function currentContest() {
    return state.contests.filter(function (c) { return c.id === state.current; })[0] || null;
  }

  function load() {
    clearTimeout(state.refreshTimer);
    state.current = $('contest').value;
    if (!state.current) return;
    sessionStorage.setItem('admin-contest', state.current);
    var contest = currentContest();
    var upcoming = contest && contest.status === 'upcoming';
    $('finalists-open').hidden = !upcoming; // frozen once voting opens: the server would refuse it anyway
    $('finalists-frozen').hidden = upcoming;
    return api('GET', contestPath('/results')).then(json).then(function (results) {
      state.results = results;
      render();
      if (results.status === 'provisional') state.refreshTimer = setTimeout(load, REFRESH_MS);
    }).catch(function (error) {
      state.results = null;
      ['summary', 'results', 'regions', 'turnout'].forEach(function (id) { $(id).textContent = ''; });
      $('results').appendChild(el('p', 'muted', error.message || t('notready')));
      $('refreshed').textContent = '';
      $('closebtn').disabled = !contest || contest.status !== 'open';
      $('evidencebtn').disabled = true;
      $('csvbtn').disabled = $('csvexcel').disabled = true;
    });
  }

  // ---- results ----

  function summary(r) {
    var final = r.status === 'final';
    var list = el('dl', 'totals');
    function item(label, value, className) {
      var box = el('div');
      box.appendChild(el('dt', null, label));
      var dd = el('dd', className);
      if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
      box.appendChild(dd);
      list.appendChild(box);
    }
    item(t('status'), el('span', final ? 'badge final' : 'badge', t(r.status)));
    var contest = currentContest();
    if (contest) item(t('state'), statusWord({ status: r.state, closed_early: contest.closed_early }));
    item(t('total'), C.number(r.total, state.lang));
    item(t('closes'), astana(r.closes_at));
    item(final ? t('tallied') : t('asOf'), astana(r.tallied_at));
    var box = $('summary');
    box.textContent = '';
    box.appendChild(list);
    var digest = el('p', 'muted digest', t('digest') + ': ');
    digest.appendChild(el('code', null, r.digest));
    box.appendChild(digest);
  }

  // Bars as text (place, name, count and share) with a table of the same numbers behind them.
  function barList(rows) {
    var list = el('ol', 'bars');
    rows.forEach(function (row) {
      var item = el('li');
      var label = el('p', 'bar-label');
      if (row.place) label.appendChild(el('span', 'bar-place', row.place));
      label.appendChild(el('span', 'bar-name', row.label));
      label.appendChild(el('span', 'bar-value', plural('votes', row.votes) + ' · ' + C.percent(row.share, state.lang)));
      item.appendChild(label);
      var track = el('div', 'bar-track');
      track.setAttribute('aria-hidden', 'true');
      var fill = el('div', 'bar-fill');
      fill.style.width = (row.scale * 100).toFixed(2) + '%';
      track.appendChild(fill);
      item.appendChild(track);
      list.appendChild(item);
    });
    return list;
  }

  function table(headers, rows) {
    var details = el('details');
    details.appendChild(el('summary', null, t('table')));
    var wrap = el('div', 'table-wrap'), grid = el('table'), head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', h.num ? 'num' : null, h.text)); });
    var thead = el('thead');
    thead.appendChild(head);
    grid.appendChild(thead);
    var body = el('tbody');
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (cell, i) { tr.appendChild(el('td', headers[i].num ? 'num' : null, cell)); });
      body.appendChild(tr);
    });
    grid.appendChild(body);
    wrap.appendChild(grid);
    details.appendChild(wrap);
    return details;
  }

  function renderNominations(r) {
    var box = $('results');
    box.textContent = '';
    r.nominations.forEach(function (nomination) {
      box.appendChild(el('h3', null, local(nomination.title) + ' — ' + plural('votes', nomination.total)));
      var votes = nomination.nominees.map(function (n) { return n.votes; });
      var ranks = C.places(votes), most = Math.max.apply(null, votes.concat([1]));
      var leaders = nomination.nominees.filter(function (n, i) { return ranks[i].place === 1 && ranks[i].tied; });
      if (leaders.length) {
        box.appendChild(el('p', 'tie-note', t('tieFirst', { names: leaders.map(function (n) { return n.name; }).join(', ') })));
      }
      var rows = nomination.nominees.map(function (n, i) {
        return { label: n.name, votes: n.votes, share: nomination.total ? n.votes / nomination.total : 0,
          scale: n.votes / most,
          place: ranks[i].place ? t('place', { n: ranks[i].place }) + (ranks[i].tied ? ' · ' + t('tie') : '') : '' };
      });
      box.appendChild(barList(rows));
      box.appendChild(table([{ text: t('colPlace') }, { text: t('colName') }, { text: t('colVotes'), num: true },
        { text: t('colShare'), num: true }], rows.map(function (row) {
        return [row.place || '—', row.label, C.number(row.votes, state.lang), C.percent(row.share, state.lang)];
      })));
    });
  }

  function renderRegions(r) {
    var box = $('regions');
    box.textContent = '';
    var regions = r.regions || [];
    var most = Math.max.apply(null, regions.map(function (g) { return g.votes; }).concat([1]));
    var collation = state.lang === 'en' ? 'en' : 'ru';
    var rows = regions.map(function (g) {
      return { label: local(g.region), votes: g.votes, nominees: g.nominees, share: r.total ? g.votes / r.total : 0,
        scale: g.votes / most };
    }).sort(function (a, b) { return b.votes - a.votes || a.label.localeCompare(b.label, collation); });
    box.appendChild(barList(rows));
    box.appendChild(table([{ text: t('colRegion') }, { text: t('colNominees'), num: true },
      { text: t('colVotes'), num: true }, { text: t('colShare'), num: true }], rows.map(function (row) {
      return [row.label, C.number(row.nominees, state.lang), C.number(row.votes, state.lang),
        C.percent(row.share, state.lang)];
    })));
  }

  function hourly(points) { // every hour from the first vote to the last, empty hours as zero
    if (!points.length) return [];
    var first = Date.parse(points[0].hour), last = Date.parse(points[points.length - 1].hour), byHour = {}, out = [];
    points.forEach(function (p) { byHour[Date.parse(p.hour)] = p.votes; });
    for (var h = first; h <= last && out.length < 24 * 60; h += 3600e3) out.push({ hour: h, votes: byHour[h] || 0 });
    return out;
  }

  var SVG = 'http://www.w3.org/2000/svg';

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Columns drawn at the container's own width, so their labels keep their size on a phone.
  function renderTurnout(r) {
    var box = $('turnout');
    box.textContent = '';
    var points = hourly(r.turnout || []);
    if (!points.length) { box.appendChild(el('p', 'muted', t('noVotesYet'))); return; }
    var width = Math.max(280, Math.round(box.clientWidth || 600)), height = 180, left = 44, bottom = 24;
    var most = Math.max.apply(null, points.map(function (p) { return p.votes; }).concat([1]));
    var step = (width - left - 4) / points.length, barWidth = Math.max(1, Math.min(36, step - 2));
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, 'aria-hidden': 'true' });
    points.forEach(function (p, k) {
      var h = Math.round((height - bottom - 14) * p.votes / most);
      var bar = svg('rect', { x: left + k * step, y: height - bottom - h, width: barWidth, height: Math.max(h, 1), fill: '#00628b' });
      bar.appendChild(svg('title', {}, C.shortDateTime(p.hour, state.lang) + ': ' + plural('votes', p.votes)));
      chart.appendChild(bar);
    });
    chart.appendChild(svg('line', { x1: left - 4, y1: height - bottom + 1, x2: width - 4, y2: height - bottom + 1, stroke: '#c9d2dc' }));
    chart.appendChild(svg('text', { x: left - 8, y: 14, 'text-anchor': 'end' }, C.number(most, state.lang)));
    chart.appendChild(svg('text', { x: left - 8, y: height - bottom, 'text-anchor': 'end' }, '0'));
    chart.appendChild(svg('text', { x: left, y: height - 6 }, C.shortDateTime(points[0].hour, state.lang)));
    if (points.length > 1) {
      chart.appendChild(svg('text', { x: width - 4, y: height - 6, 'text-anchor': 'end' },
        C.shortDateTime(points[points.length - 1].hour, state.lang)));
    }
    var figure = el('div', 'chart');
    figure.appendChild(chart);
    box.appendChild(figure);
    box.appendChild(table([{ text: t('colHour') }, { text: t('colVotes'), num: true }], points.map(function (p) {
      return [C.shortDateTime(p.hour, state.lang), C.number(p.votes, state.lang)];
    })));
  }

  function render() {
    var r = state.results;
    if (!r) return;
    var final = r.status === 'final';
    summary(r);
    renderNominations(r);
    renderRegions(r);
    renderTurnout(r);
    $('closebtn').disabled = r.state !== 'open';
    $('evidencebtn').disabled = !final;
    $('csvbtn').disabled = $('csvexcel').disabled = false;
    $('refreshed').textContent = final ? '' : t('refreshed', { time: C.clock(Date.now()) });
  }

  // ---- downloads, the early close, finalists ----

  function download(path) {
    api('GET', path).then(function (response) {
      if (!response.ok) return json(response);
      var named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
      return response.blob().then(function (blob) {
        var a = el('a');
        a.href = URL.createObjectURL(blob);
        a.download = named ? named[1] : 'download';
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      });
    }).catch(function (error) { showError(error.message); });
  }

  // One question at a time in a dialog: `okText` on the button that does it.
  function ask(title, body, okText, danger) {
    var dialog = $('ask');
    $('ask-title').textContent = title;
    $('ask-body').textContent = '';
    $('ask-body').appendChild(body);
    $('ask-ok').textContent = okText;
    $('ask-ok').className = danger ? 'danger' : '';
    $('ask-cancel').textContent = t('cancel');
    return new Promise(function (resolve) {
      function finish(answer) {
        $('ask-ok').onclick = $('ask-cancel').onclick = dialog.oncancel = null;
        dialog.close();
        resolve(answer);
      }
      $('ask-ok').onclick = function () { finish(true); };
      $('ask-cancel').onclick = function () { finish(false); };
      dialog.oncancel = function () { finish(false); };
      dialog.showModal();
      $('ask-cancel').focus();
    });
  }

  function closeEarly() {
    var title = contestTitle(state.current), contestId = state.current;
    ask(t('confirmCloseTitle', { title: title }), el('p', null, t('confirmCloseText')), t('close'), true)
      .then(function (yes) {
        if (!yes) return;
        return api('POST', 'admin/contests/' + encodeURIComponent(contestId) + '/close', '{}').then(json)
          .then(function (closed) {
            $('notice').textContent = t('closedNow', { title: title, time: astana(closed.closes_at),
              tally: astana(closed.tally_from) });
            return loadContests(contestId, { id: contestId, status: closed.state, closed_early: closed.closed_early,
              closes_at: closed.closes_at });
          });
      }).catch(function (error) { showError(error.message); });
  }

  function names(people) {
    return people.map(function (p) {
      return p.fields ? p.name + ' (' + p.fields.map(function (f) { return t('field_' + f); }).join(', ') + ')' : p.name;
    }).join(', ');
  }

  function changesList(preview) {
    var body = el('div');
    body.appendChild(el('p', null, t('previewTotal', { nominees: plural('nominees', preview.nominees) })));
    var any = false;
    preview.changes.forEach(function (nomination) {
      var lines = [];
      if (nomination.added.length) lines.push(t('added', { n: nomination.added.length, names: names(nomination.added) }));
      if (nomination.removed.length) lines.push(t('removed', { n: nomination.removed.length, names: names(nomination.removed) }));
      if (nomination.changed.length) lines.push(t('changed', { n: nomination.changed.length, names: names(nomination.changed) }));
      if (!lines.length) return;
      any = true;
      lines.push(t('unchanged', { n: nomination.unchanged }));
      body.appendChild(el('h3', null, local(nomination.title)));
      var list = el('ul');
      lines.forEach(function (line) { list.appendChild(el('li', null, line)); });
      body.appendChild(list);
    });
    if (!any) body.appendChild(el('p', null, t('noChanges')));
    return body;
  }

  function uploadFinalists(input) {
    var file = input.files[0], contestId = state.current;
    if (!file) return;
    showError('');
    $('uploaded').textContent = '';
    var path = 'admin/contests/' + encodeURIComponent(contestId) + '/nominees';
    file.arrayBuffer().then(function (sheet) {
      return api('POST', path + '/preview', sheet, 'text/csv').then(json).then(function (preview) {
        return ask(t('previewTitle', { title: contestTitle(contestId) }), changesList(preview), t('confirmUpload'), false)
          .then(function (yes) {
            if (!yes) return;
            return api('PUT', path + '?revision=' + preview.revision, sheet, 'text/csv').then(json).then(function (done) {
              $('uploaded').textContent = t('loaded', { nominees: plural('nominees', done.nominees),
                outcome: t('outcome_' + done.outcome) });
              return load();
            });
          });
      });
    }).catch(function (error) { showError(error.message); }).then(function () { input.value = ''; });
  }

  // ---- wiring ----

  $('lang').addEventListener('change', function () {
    state.lang = this.value;
    C.rememberLanguage('admin-lang', state.lang);
    applyTexts();
    if (state.token) { watchSession(); loadContests(state.current); }
  });
  $('signin').addEventListener('click', signIn);
  $('renew').addEventListener('click', signIn);
  $('signout').addEventListener('click', function () { signOut(''); });
  $('contest').addEventListener('change', function () { $('notice').textContent = ''; load(); });
  $('csvbtn').addEventListener('click', function () {
    download(contestPath('/results?format=csv&lang=' + state.lang));
  });
  $('csvexcel').addEventListener('click', function () {
    download(contestPath('/results?format=csv&separator=semicolon&lang=' + state.lang));
  });
  $('evidencebtn').addEventListener('click', function () { download(contestPath('/evidence')); });
  $('closebtn').addEventListener('click', closeEarly);
  $('finalists').addEventListener('change', function () { uploadFinalists(this); });
  var resized;
  window.addEventListener('resize', function () {
    clearTimeout(resized);
    resized = setTimeout(function () { if (state.results) renderTurnout(state.results); }, 200);
  });

  applyTexts();
  if (state.token && state.expires && Date.parse(state.expires) > Date.now()) signedIn();
  else signOut('');
}());
