/*
 * flask-jsscripts: Monaco editor for script sources (progressive enhancement, no build step).
 *
 * Markup contract (see the attributes below):
 *   <textarea name="source" id="source" data-jsscripts-editor
 *             data-monaco-base="/scripts/monaco/vs" data-dts-url="/scripts/static/sdk.d.ts"
 *             [data-readonly] [data-error-line="3" data-error-column="7" data-error-message="…"]
 *             [data-editor-height="24rem"]>…</textarea>
 *   <div data-jsscripts-diff id="diff" data-monaco-base="…"
 *        [data-original-url="…" data-modified-url="…"] [data-editor-height="…"]>
 *     <template data-side="original">…</template><template data-side="modified">…</template>
 *     (also accepted: <template data-original> / <template data-modified>, or just the first
 *     and second <template> children; the URLs are used when no such template is present)
 *     (anything else here is the no-JavaScript fallback, hidden once the diff renders)
 *   </div>
 * data-monaco-base / data-dts-url may instead be set once on this <script> tag.
 *
 * Without Monaco (failed load, no JavaScript) the plain textarea stays visible and is what the
 * form posts. With Monaco the textarea is hidden but stays in the form, and its value follows the
 * editor on every change, on submit and before every htmx request.
 *
 * Order of work, so that the editor is shown and editable as early as possible: sdk.d.ts is
 * fetched while Monaco loads; the editor is created as soon as editor.main has run, with a plain
 * text model (whatever was typed into the textarea meanwhile, caret and focus included); only
 * after its first frame does the model become JavaScript, which loads the JavaScript tokenizer
 * and the TypeScript mode and starts the TypeScript worker (completions, with sdk.d.ts added).
 *
 * window.jsscriptsEditor = {ready, get(id), showError(id, line, column, message), clearError(id)}
 *   ready: a Promise (read it again after htmx swaps) resolving to true once every editor found so
 *          far is usable with its language (sdk.d.ts included), or false if Monaco could not be
 *          loaded.
 */
(function () {
  'use strict';

  var EDITOR_SELECTOR = 'textarea[data-jsscripts-editor]';
  var DIFF_SELECTOR = 'div[data-jsscripts-diff]';
  var MARKER_OWNER = 'jsscripts';
  var CHECK_OWNER = 'jsscripts-draft';  // markers of the as-you-type check
  var CHECK_DELAY_MS = 600;  // after the last keystroke
  var narrowQuery = window.matchMedia('(max-width: 699.98px)');
  var darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
  var script = document.currentScript;
  var scriptBase = script ? script.getAttribute('data-monaco-base') : null;
  var scriptDts = script ? script.getAttribute('data-dts-url') : null;

  var entries = [];          // {el, container, kind: 'editor'|'diff', editor, dispose()}
  var pending = [];          // promises of mounts in progress (each resolves true/false)
  var monacoPromise = null;  // Monaco loads once per page, from the first base seen
  var failureLogged = false;
  var libTexts = {};         // absolute url -> Promise of the text (null when it failed)
  var libsAdded = {};        // absolute url -> true once given to the TypeScript defaults
  var languageSetUp = false;
  // How long a fresh editor waits for sdk.d.ts before it becomes JavaScript anyway (the lib is
  // added whenever it arrives; the fetch starts with the mount, so it is normally in by then).
  var LIB_WAIT_MS = 1500;

  function logFailure(message, error) {
    if (!failureLogged) {
      failureLogged = true;
      if (window.console) {
        window.console.error('[jsscripts] ' + message + ': the plain text area stays in use.', error || '');
      }
    }
  }

  function absolute(url) {
    return new URL(url, document.baseURI).href.replace(/\/+$/, '');
  }

  function theme() {
    return darkQuery.matches ? 'vs-dark' : 'vs';
  }

  // -- loading Monaco -------------------------------------------------------------------------

  function loadMonaco(base) {
    if (monacoPromise) {
      return monacoPromise;
    }
    monacoPromise = new Promise(function (resolve, reject) {
      if (window.monaco && window.monaco.editor) {
        setUpEditors(window.monaco);  // already on the page (loaded by the host)
        resolve(window.monaco);
        return;
      }
      if (!base) {
        reject(new Error('no data-monaco-base'));
        return;
      }
      var vs = absolute(base);
      var env = window.MonacoEnvironment || {};
      if (!env.getWorkerUrl && !env.getWorker) {
        // Same origin: the editor worker and the TypeScript worker both start from workerMain.js;
        // the loader configuration (absolute paths) reaches them from this page.
        env.getWorkerUrl = function (moduleId, label) {
          return vs + '/base/worker/workerMain.js#' + encodeURIComponent(label || 'editor');
        };
      }
      window.MonacoEnvironment = env;

      function start() {
        var amdRequire = window.require;
        if (typeof amdRequire !== 'function' || typeof amdRequire.config !== 'function') {
          reject(new Error('the Monaco loader did not define require'));
          return;
        }
        amdRequire.config({paths: {vs: vs}});
        amdRequire(['vs/editor/editor.main'], function () {
          if (window.monaco && window.monaco.editor) {
            setUpEditors(window.monaco);
            resolve(window.monaco);
          } else {
            reject(new Error('vs/editor/editor.main did not define monaco'));
          }
        }, reject);
      }

      if (typeof window.require === 'function' && typeof window.require.config === 'function') {
        start();  // an AMD loader of Monaco is already on the page
        return;
      }
      var tag = document.createElement('script');
      tag.src = vs + '/loader.js';
      tag.async = true;
      tag.onload = start;
      tag.onerror = function () {
        reject(new Error('could not load ' + tag.src));
      };
      document.head.appendChild(tag);
    });
    return monacoPromise;
  }

  /** What every editor needs before its creation: cheap, no language work. */
  function setUpEditors(monaco) {
    monaco.editor.setTheme(theme());
    onMediaChange(darkQuery, function () {
      monaco.editor.setTheme(theme());
    });
    installStyles();
  }

  /** JavaScript options for the TypeScript worker, before its first start (a change of compiler
   * options restarts it), and our completion of "main". Once per page. */
  function setUpLanguage(monaco) {
    if (languageSetUp) {
      return;
    }
    languageSetUp = true;
    var ts = monaco.languages.typescript;
    var js = ts.javascriptDefaults;
    // What the sandbox runs: ES2023 without BigInt, WeakRef and shared memory; no DOM (window,
    // document, fetch) and no timers.
    js.setCompilerOptions({
      target: ts.ScriptTarget.ES2022,
      allowNonTsExtensions: true,
      allowJs: true,
      checkJs: false,
      lib: ['es2019', 'es2020.promise', 'es2020.string', 'es2020.symbol.wellknown', 'es2020.intl',
        'es2020.date', 'es2020.number', 'es2021.promise', 'es2021.string', 'es2021.intl',
        'es2022.array', 'es2022.error', 'es2022.object', 'es2022.string', 'es2022.regexp',
        'es2022.intl', 'es2023.array', 'es2023.collection']
    });
    js.setDiagnosticsOptions({noSemanticValidation: true, noSyntaxValidation: false});
    // Typing "main" offers the entry point with the JSDoc that makes `ctx.` complete.
    monaco.languages.registerCompletionItemProvider('javascript', {
      provideCompletionItems: function (model, position) {
        var word = model.getWordUntilPosition(position);
        return {suggestions: [{
          label: 'main',
          kind: monaco.languages.CompletionItemKind.Snippet,
          detail: 'function main(ctx) — script entry point',
          documentation: 'The entry point: called with the run context; its return value is the result.',
          insertText: '/** @param {ScriptContext} ctx */\nfunction main(ctx) {\n\t$0\n}\n',
          insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
          range: {
            startLineNumber: position.lineNumber, endLineNumber: position.lineNumber,
            startColumn: word.startColumn, endColumn: word.endColumn
          }
        }]};
      }
    });
  }

  /** Start fetching the .d.ts files (space-separated URLs); resolves to [{key, text|null}]. */
  function fetchLibs(urls) {
    var list = (urls || '').split(/\s+/).filter(Boolean);
    return Promise.all(list.map(function (url) {
      var key = absolute(url);
      if (!libTexts[key]) {
        libTexts[key] = fetch(key, {credentials: 'same-origin'}).then(function (response) {
          if (!response.ok) {
            throw new Error('HTTP ' + response.status);
          }
          return response.text();
        }).catch(function (error) {
          if (window.console) {
            window.console.warn('[jsscripts] completions for ctx/sdk unavailable: ' + key, error);
          }
          return null;
        });
      }
      return libTexts[key].then(function (text) {
        return {key: key, text: text};
      });
    }));
  }

  function addLibs(monaco, libs) {
    libs.forEach(function (lib) {
      if (lib.text !== null && !libsAdded[lib.key]) {
        libsAdded[lib.key] = true;
        var name = 'file:///jsscripts/' + (lib.key.split('/').pop() || 'sdk.d.ts');
        monaco.languages.typescript.javascriptDefaults.addExtraLib(lib.text, name);
      }
    });
  }

  /** After the next frame has been painted (or 200 ms, e.g. in a background tab). */
  function afterFirstFrame() {
    return new Promise(function (resolve) {
      var timer = setTimeout(resolve, 200);
      requestAnimationFrame(function () {
        setTimeout(function () {
          clearTimeout(timer);
          resolve();
        }, 0);
      });
    });
  }

  /** Make an editor's model JavaScript (tokenizer, TypeScript mode and worker), with its libs. */
  function attachLanguage(monaco, entry, libs) {
    setUpLanguage(monaco);
    return new Promise(function (resolve) {
      var attached = false;
      function attach() {
        if (!attached) {
          attached = true;
          if (!entry.model.isDisposed()) {
            monaco.editor.setModelLanguage(entry.model, 'javascript');
          }
          resolve();
        }
      }
      var timer = setTimeout(attach, LIB_WAIT_MS);
      libs.then(function (list) {
        clearTimeout(timer);
        addLibs(monaco, list);  // before the worker starts, so it starts with them
        attach();
      });
    });
  }

  function onMediaChange(query, fn) {
    if (query.addEventListener) {
      query.addEventListener('change', fn);
    } else if (query.addListener) {
      query.addListener(fn);
    }
  }

  /** An entry's dispose(): stop following the narrow-screen query, dispose of the Monaco
   *  objects and remove the container. */
  function disposer(onNarrow, monacoObjects, container) {
    return function () {
      if (narrowQuery.removeEventListener) {
        narrowQuery.removeEventListener('change', onNarrow);
      }
      monacoObjects.forEach(function (obj) { obj.dispose(); });
      container.remove();
    };
  }

  var stylesInstalled = false;
  function installStyles() {
    if (stylesInstalled) {
      return;
    }
    stylesInstalled = true;
    var style = document.createElement('style');
    style.textContent =
      '.jsscripts-monaco{width:100%;min-height:8rem;border:1px solid rgba(128,128,128,.45);' +
      'border-radius:4px;overflow:hidden;resize:vertical}' +
      '.jsscripts-monaco-readonly{resize:none}' +
      '.jsscripts-error-line{background:rgba(255,0,0,.12)}' +
      '.jsscripts-error-glyph{color:#e51400!important}' +
      '.jsscripts-error-glyph::before{content:"\\25CF";font-size:14px}';
    document.head.appendChild(style);
  }

  // -- editors ----------------------------------------------------------------------------------

  function baseFor(el) {
    return el.getAttribute('data-monaco-base') || scriptBase;
  }

  function defaultHeight(el) {
    var explicit = el.getAttribute('data-editor-height');
    if (explicit) {
      return explicit;
    }
    var rows = parseInt(el.getAttribute('rows'), 10) || 20;
    return 'min(70vh, ' + Math.max(rows, 8) * 19 + 'px)';
  }

  function mountEditor(textarea) {
    textarea.setAttribute('data-jsscripts-state', 'loading');
    var libs = fetchLibs(textarea.getAttribute('data-dts-url') || scriptDts);  // while Monaco loads
    var done = loadMonaco(baseFor(textarea)).then(function (monaco) {
      if (!textarea.isConnected) {
        return null;  // swapped away while Monaco loaded
      }
      return createEditor(monaco, textarea);
    }).catch(function (error) {
      textarea.setAttribute('data-jsscripts-state', 'failed');
      logFailure('Monaco could not be loaded', error);
      return false;
    }).then(function (entry) {
      if (!entry) {
        return entry !== false;
      }
      // shown and editable now; the language comes once the editor has been painted
      return afterFirstFrame().then(function () {
        return attachLanguage(window.monaco, entry, libs);
      }).then(function () {
        return true;
      }, function (error) {
        if (window.console) {
          window.console.warn('[jsscripts] JavaScript support unavailable', error);
        }
        return true;  // the editor itself works
      });
    });
    pending.push(done);
    return done;
  }

  /** The Monaco editor in place of the textarea, with the textarea's current text, caret and
   * focus (a user may have typed before Monaco arrived). Returns its entry. */
  function createEditor(monaco, textarea) {
    var readOnly = textarea.hasAttribute('data-readonly') || textarea.readOnly || textarea.disabled;
    var errorLine = parseInt(textarea.getAttribute('data-error-line'), 10) || 0;
    var container = document.createElement('div');
    container.className = 'jsscripts-monaco' + (readOnly ? ' jsscripts-monaco-readonly' : '');
    container.style.height = defaultHeight(textarea);
    textarea.insertAdjacentElement('afterend', container);

    var typing = document.activeElement === textarea;
    var edited = textarea.value !== textarea.defaultValue;
    var selection = [textarea.selectionStart || 0, textarea.selectionEnd || 0];
    // plain text first: JavaScript (tokenizer, TypeScript worker) is attached after the first frame
    var model = monaco.editor.createModel(textarea.value, 'plaintext');
    var editor = monaco.editor.create(container, {
      model: model,
      theme: theme(),
      automaticLayout: true,
      tabSize: 2,
      insertSpaces: true,
      readOnly: readOnly,
      domReadOnly: readOnly,
      minimap: {enabled: !narrowQuery.matches},
      lineNumbersMinChars: narrowQuery.matches ? 2 : 4,
      glyphMargin: errorLine > 0,
      scrollBeyondLastLine: false,
      fixedOverflowWidgets: true,
      ariaLabel: labelText(textarea)
    });
    var onNarrow = function () {
      editor.updateOptions({minimap: {enabled: !narrowQuery.matches},
        lineNumbersMinChars: narrowQuery.matches ? 2 : 4});
    };
    onMediaChange(narrowQuery, onNarrow);

    if (readOnly && !textarea.hasAttribute('data-editor-height')) {
      // viewers grow with their content (up to 70% of the screen)
      var fit = function () {
        var max = Math.round(window.innerHeight * 0.7);
        container.style.height = Math.max(Math.min(editor.getContentHeight(), max), 48) + 'px';
      };
      editor.onDidContentSizeChange(fit);
      fit();
    }

    var entry = {el: textarea, container: container, kind: 'editor', editor: editor,
      model: model, readOnly: readOnly, decorations: null};
    entry.dispose = disposer(onNarrow, [editor, model], container);

    if (!readOnly) {
      var checkDraft = draftChecker(monaco, textarea, model);
      model.onDidChangeContent(function () {
        textarea.value = model.getValue();
        if (entry.decorations) {
          clearError(entry);  // the marker described the saved source, not this one
        }
        checkDraft();
      });
      if (textarea.form) {
        textarea.form.addEventListener('submit', function () {
          sync(entry);
        });
        editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, function () {
          sync(entry);
          if (textarea.form.requestSubmit) {
            textarea.form.requestSubmit();
          } else {
            textarea.form.submit();
          }
        });
      }
    }
    // hidden, but still in the form (and not `required`: a hidden control cannot be focused
    // to show the browser's message; the server validates)
    textarea.removeAttribute('required');
    textarea.style.display = 'none';
    textarea.setAttribute('aria-hidden', 'true');
    textarea.setAttribute('data-jsscripts-state', 'ready');
    if (textarea.id) {
      var labels = document.querySelectorAll('label[for="' + cssEscape(textarea.id) + '"]');
      Array.prototype.forEach.call(labels, function (label) {
        label.addEventListener('click', function () {
          editor.focus();
        });
      });
    }
    entries.push(entry);

    // the marker describes the saved source: not shown if the text was changed meanwhile
    if (errorLine > 0 && !edited) {
      showError(entry, errorLine, parseInt(textarea.getAttribute('data-error-column'), 10) || 0,
        textarea.getAttribute('data-error-message') || '');
    }
    if (typing) {
      var from = model.getPositionAt(Math.min(selection[0], selection[1]));
      var to = model.getPositionAt(Math.max(selection[0], selection[1]));
      editor.setSelection(new monaco.Selection(from.lineNumber, from.column, to.lineNumber, to.column));
      editor.revealPositionInCenterIfOutsideViewport(to);
      editor.focus();
    }
    return entry;
  }

  function labelText(textarea) {
    var label = textarea.id && document.querySelector('label[for="' + cssEscape(textarea.id) + '"]');
    return (label && label.textContent.trim()) || textarea.getAttribute('aria-label') ||
      'JavaScript source';
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, '\\$&');
  }

  function sync(entry) {
    if (entry.kind === 'editor' && !entry.readOnly) {
      var value = entry.model.getValue();
      if (entry.el.value !== value) {
        entry.el.value = value;
      }
    }
  }

  /** An error marker at the author's line (and column: the word there, else the line). */
  function errorMarker(monaco, model, line, column, message) {
    line = Math.min(Math.max(line || 1, 1), model.getLineCount());
    var maxColumn = model.getLineMaxColumn(line);
    var startColumn = column > 0 ? Math.min(column, maxColumn) : model.getLineFirstNonWhitespaceColumn(line) || 1;
    var endColumn = maxColumn;
    if (column > 0) {
      var word = model.getWordAtPosition({lineNumber: line, column: startColumn});
      endColumn = word ? word.endColumn : Math.min(startColumn + 1, maxColumn);
    }
    if (endColumn <= startColumn) {
      endColumn = maxColumn > startColumn ? maxColumn : startColumn + 1;
    }
    return {severity: monaco.MarkerSeverity.Error, message: message || 'Error',
      startLineNumber: line, startColumn: startColumn, endLineNumber: line, endColumn: endColumn};
  }

  function showError(entry, line, column, message) {
    var monaco = window.monaco;
    var model = entry.model;
    var marker = errorMarker(monaco, model, line, column, message);
    line = marker.startLineNumber;
    var startColumn = marker.startColumn;
    var maxColumn = model.getLineMaxColumn(line);
    monaco.editor.setModelMarkers(model, MARKER_OWNER, [marker]);
    entry.editor.updateOptions({glyphMargin: true});
    if (entry.decorations) {
      entry.decorations.clear();
    }
    entry.decorations = entry.editor.createDecorationsCollection([{
      range: new monaco.Range(line, 1, line, maxColumn),
      options: {
        isWholeLine: true,
        className: 'jsscripts-error-line',
        glyphMarginClassName: 'jsscripts-error-glyph',
        glyphMarginHoverMessage: {value: message || 'Error'},
        overviewRuler: {color: '#e51400', position: monaco.editor.OverviewRulerLane.Full}
      }
    }]);
    entry.editor.revealLineInCenter(line);
    entry.editor.setPosition({lineNumber: line, column: startColumn});
  }

  /** Asks the server to compile the draft a moment after typing stops, and marks what a save
   * would refuse (the same compiler, so the same message and position). Answers to older drafts
   * are dropped. */
  function draftChecker(monaco, textarea, model) {
    var url = textarea.getAttribute('data-check-url');
    var form = textarea.form;
    var token = form && form.querySelector('input[name="csrf_token"]');
    var timer = null;
    var asked = 0;
    if (!url || !token) {
      return function () {};
    }
    function mark(answer) {
      var failed = answer && answer.ok === false;
      monaco.editor.setModelMarkers(model, CHECK_OWNER, failed ?
        [errorMarker(monaco, model, answer.line, answer.column, answer.message)] : []);
    }
    function check() {
      var ticket = ++asked;
      var body = new FormData();
      body.append('source', model.getValue());
      body.append('csrf_token', token.value);
      fetch(url, {method: 'POST', body: body, credentials: 'same-origin'}).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        if (ticket === asked && !model.isDisposed()) {
          mark(answer);
        }
      }).catch(function () { /* offline or signed out: the save still checks */ });
    }
    return function () {
      clearTimeout(timer);
      timer = setTimeout(check, CHECK_DELAY_MS);
    };
  }

  function clearError(entry) {
    window.monaco.editor.setModelMarkers(entry.model, MARKER_OWNER, []);
    if (entry.decorations) {
      entry.decorations.clear();
      entry.decorations = null;
    }
  }

  // -- diff views -------------------------------------------------------------------------------

  function diffText(div, role, urlAttr) {
    var template = div.querySelector(':scope > template[data-' + role + '], ' +
      ':scope > template[data-side="' + role + '"]');
    if (template) {
      return Promise.resolve(template.content.textContent);
    }
    var url = div.getAttribute(urlAttr);
    if (url) {
      return fetch(absolute(url), {credentials: 'same-origin'}).then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status + ' for ' + url);
        }
        return response.text();
      });
    }
    var templates = div.querySelectorAll(':scope > template');
    var index = role === 'original' ? 0 : 1;
    return Promise.resolve(templates[index] ? templates[index].content.textContent : '');
  }

  function mountDiff(div) {
    div.setAttribute('data-jsscripts-state', 'loading');
    var done = Promise.all([
      loadMonaco(baseFor(div)),
      diffText(div, 'original', 'data-original-url'),
      diffText(div, 'modified', 'data-modified-url')
    ]).then(function (results) {
      var monaco = results[0];
      if (!div.isConnected) {
        return true;
      }
      var container = document.createElement('div');
      container.className = 'jsscripts-monaco jsscripts-monaco-diff';
      container.style.height = div.getAttribute('data-editor-height') || 'min(70vh, 480px)';
      Array.prototype.forEach.call(div.children, function (child) {
        if (child.tagName !== 'TEMPLATE') {
          child.style.display = 'none';  // the no-JavaScript fallback
        }
      });
      div.appendChild(container);
      setUpLanguage(monaco);
      var original = monaco.editor.createModel(results[1], 'javascript');
      var modified = monaco.editor.createModel(results[2], 'javascript');
      var diff = monaco.editor.createDiffEditor(container, {
        theme: theme(),
        automaticLayout: true,
        readOnly: true,
        originalEditable: false,
        renderSideBySide: !narrowQuery.matches,
        useInlineViewWhenSpaceIsLimited: false,
        minimap: {enabled: false},
        scrollBeyondLastLine: false,
        fixedOverflowWidgets: true,
        ariaLabel: div.getAttribute('aria-label') || 'Differences between versions'
      });
      diff.setModel({original: original, modified: modified});
      var onNarrow = function () {
        diff.updateOptions({renderSideBySide: !narrowQuery.matches});
      };
      onMediaChange(narrowQuery, onNarrow);
      var entry = {el: div, container: container, kind: 'diff', editor: diff};
      entry.dispose = disposer(onNarrow, [diff, original, modified], container);
      entries.push(entry);
      div.setAttribute('data-jsscripts-state', 'ready');
      return true;
    }).catch(function (error) {
      div.setAttribute('data-jsscripts-state', 'failed');
      logFailure('the diff view could not be shown', error);
      return false;
    });
    pending.push(done);
    return done;
  }

  // -- discovery, htmx and forms ----------------------------------------------------------------

  function sweep() {
    entries = entries.filter(function (entry) {
      if (entry.el.isConnected) {
        return true;
      }
      entry.dispose();
      return false;
    });
  }

  function scan(root) {
    sweep();
    root = root || document;
    var found = [];
    if (root.matches && (root.matches(EDITOR_SELECTOR) || root.matches(DIFF_SELECTOR))) {
      found.push(root);
    }
    if (root.querySelectorAll) {
      Array.prototype.push.apply(found, root.querySelectorAll(EDITOR_SELECTOR + ',' + DIFF_SELECTOR));
    }
    found.forEach(function (el) {
      if (el.hasAttribute('data-jsscripts-state')) {
        return;  // already mounted, mounting, or failed
      }
      if (el.tagName === 'TEXTAREA') {
        mountEditor(el);
      } else {
        mountDiff(el);
      }
    });
  }

  function find(id) {
    for (var i = 0; i < entries.length; i++) {
      var el = entries[i].el;
      if (el.isConnected && (el.id === id || (el.name && el.name === id))) {
        return entries[i];
      }
    }
    return null;
  }

  function syncAll() {
    entries.forEach(function (entry) {
      if (entry.kind === 'editor' && entry.el.isConnected) {
        sync(entry);
      }
    });
  }

  var domReady = new Promise(function (resolve) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', function () {
        resolve();
      });
    } else {
      resolve();
    }
  }).then(function () {
    scan(document);
  });

  // submit: capture phase, so the value is in place before any other submit handler reads it
  document.addEventListener('submit', syncAll, true);
  // htmx collects the form values after htmx:confirm; htmx:configRequest patches what it collected
  document.addEventListener('htmx:confirm', syncAll);
  document.addEventListener('htmx:configRequest', function (event) {
    syncAll();
    var detail = event.detail || {};
    var elt = detail.elt;
    var formData = detail.formData;
    if (!elt || !formData || typeof formData.has !== 'function') {
      return;
    }
    entries.forEach(function (entry) {
      var textarea = entry.el;
      if (entry.kind !== 'editor' || !textarea.name || !formData.has(textarea.name)) {
        return;
      }
      var form = textarea.form;
      var related = elt.contains(textarea) ||
        (form && (elt === form || elt.form === form || form.contains(elt)));
      if (related) {
        formData.set(textarea.name, textarea.value);
      }
    });
  });
  document.addEventListener('htmx:load', function (event) {
    scan(event.detail && event.detail.elt ? event.detail.elt : document);
  });
  document.addEventListener('htmx:afterSettle', sweep);
  // e.g. a run result answered with  HX-Trigger: {"jsscripts:error": {"target": "source",
  // "line": 3, "column": 7, "message": "ReferenceError: x is not defined"}}
  document.addEventListener('jsscripts:error', function (event) {
    var d = event.detail || {};
    api.showError(d.target, d.line, d.column, d.message);
  });

  var api = {
    /** Resolves true once every editor found so far is usable, false if Monaco failed. */
    get ready() {
      return domReady.then(function () {
        return Promise.all(pending.slice());
      }).then(function (results) {
        return results.every(Boolean);
      });
    },
    /** The Monaco editor (or diff editor) for the textarea / diff div with this id (or name). */
    get: function (id) {
      var entry = find(id);
      return entry ? entry.editor : null;
    },
    /** Mark a line (1-based; column optional) of an editor as an error and reveal it. */
    showError: function (id, line, column, message) {
      var entry = find(id || '');
      if (!entry && entries.length === 1) {
        entry = entries[0];
      }
      if (entry && entry.kind === 'editor' && parseInt(line, 10) > 0) {
        showError(entry, parseInt(line, 10), parseInt(column, 10) || 0, message || '');
        return true;
      }
      return false;
    },
    /** Remove the error marker of an editor. */
    clearError: function (id) {
      var entry = find(id);
      if (entry && entry.kind === 'editor') {
        clearError(entry);
      }
    },
    /** Look for editors again (e.g. after content was inserted without htmx). */
    scan: scan
  };
  window.jsscriptsEditor = api;
})();
