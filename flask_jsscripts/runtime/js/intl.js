/*
 * flask-jsscripts: the Intl object and the toLocale* methods (ES5, evaluated once per Duktape
 * context, after the polyfills and before shim.js, which seals and freezes it with every other
 * built-in).
 *
 * Duktape has no Intl. The host answers through the worker's bridge (kind "intl", handled in
 * the worker process by flask_jsscripts/runtime/intl.py, with the Babel library): this file
 * reads and coerces the arguments the way a browser does, sends them as ASCII JSON, and throws
 * the error the host names (RangeError, TypeError). Defaults: locale "en", time zone "UTC",
 * unless the host gave the run others.
 */
(function (global) {
  'use strict';

  var bridge = global.__jss_bridge;  // captured now: shim.js deletes it before any user code runs
  var toAscii = global.__jss_toAscii;
  var stringify = JSON.stringify;
  var parse = JSON.parse;
  var defineProperty = Object.defineProperty;
  var getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  var ObjectCtor = Object;
  var StringCtor = String;
  var NumberCtor = Number;
  var SymbolCtor = Symbol;
  var RangeErrorCtor = RangeError;
  var TypeErrorCtor = TypeError;
  var ErrorCtor = Error;
  var apply = Function.prototype.apply;
  var bind = Function.prototype.bind;
  var push = Array.prototype.push;
  var dateValueOf = Date.prototype.valueOf;
  var numberValueOf = Number.prototype.valueOf;
  var now = Date.now;
  var SLOT = SymbolCtor('Intl internal slots');

  function callMethod(method, self, args) {
    return apply.call(method, self, args || []);
  }

  // -- crossing to the host: ASCII JSON both ways ---------------------------------------------
  function ask(request) {
    var reply = parse(bridge('intl', toAscii(stringify(request))));
    var error = reply.error;
    if (error) {
      if (error.length !== 2) {
        throw new ErrorCtor('Intl: ' + (error.message || 'the host could not answer'));
      }
      var Ctor = error[0] === 'TypeError' ? TypeErrorCtor : error[0] === 'Error' ? ErrorCtor : RangeErrorCtor;
      throw new Ctor(error[1]);
    }
    return reply.ok;
  }

  // -- arguments ---------------------------------------------------------------------------
  function localeList(locales) {
    if (locales === undefined) {
      return [];
    }
    if (typeof locales === 'string') {
      return [locales];
    }
    if (locales === null) {
      throw new TypeErrorCtor('Cannot convert undefined or null to object');
    }
    var list = ObjectCtor(locales);
    var length = list.length >>> 0;
    var tags = [];
    for (var i = 0; i < length; i++) {
      if (i in list) {
        var tag = list[i];
        if (typeof tag !== 'string' && (tag === null || typeof tag !== 'object')) {
          throw new TypeErrorCtor('Language ID should be string or object.');
        }
        callMethod(push, tags, [StringCtor(tag)]);
      }
    }
    return tags;
  }

  // `spec` maps option names to how they are coerced: 's' string, 'b' boolean, 'n' number,
  // 'g' boolean-or-string (useGrouping). Numbers that are not finite cross as null.
  function readOptions(options, spec) {
    var out = {};
    if (options === undefined) {
      return out;
    }
    if (options === null) {
      throw new TypeErrorCtor('Cannot convert undefined or null to object');
    }
    var source = ObjectCtor(options);
    for (var name in spec) {
      var value = source[name];
      if (value === undefined) {
        continue;
      }
      var type = spec[name];
      if (type === 'b') {
        out[name] = !!value;
      } else if (type === 'n') {
        var number = +value;
        out[name] = number === number ? Math.floor(number) : null;
      } else if (type === 'g' && typeof value === 'boolean') {
        out[name] = value;
      } else {
        out[name] = StringCtor(value);
      }
    }
    return out;
  }

  function numberText(x) {
    if (x === 0 && 1 / x < 0) {
      return '-0';
    }
    return StringCtor(x);
  }
  function toNumberText(value) {
    return numberText(NumberCtor(value));  // a Symbol throws TypeError here, as in V8
  }

  var DIGITS = {minimumIntegerDigits: 'n', minimumFractionDigits: 'n', maximumFractionDigits: 'n',
    minimumSignificantDigits: 'n', maximumSignificantDigits: 'n'};
  function withDigits(spec) {
    for (var name in DIGITS) {
      spec[name] = DIGITS[name];
    }
    return spec;
  }
  var SPECS = {
    NumberFormat: withDigits({localeMatcher: 's', numberingSystem: 's', style: 's', currency: 's',
      currencyDisplay: 's', currencySign: 's', unit: 's', unitDisplay: 's', notation: 's',
      compactDisplay: 's', useGrouping: 'g', signDisplay: 's'}),
    PluralRules: withDigits({localeMatcher: 's', type: 's'}),
    RelativeTimeFormat: {localeMatcher: 's', numberingSystem: 's', style: 's', numeric: 's'},
    Collator: {usage: 's', localeMatcher: 's', collation: 's', numeric: 'b', caseFirst: 's',
      sensitivity: 's', ignorePunctuation: 'b'},
    DateTimeFormat: {localeMatcher: 's', calendar: 's', numberingSystem: 's', hour12: 'b',
      hourCycle: 's', timeZone: 's', weekday: 's', era: 's', year: 's', month: 's', day: 's',
      dayPeriod: 's', hour: 's', minute: 's', second: 's', fractionalSecondDigits: 'n',
      timeZoneName: 's', formatMatcher: 's', dateStyle: 's', timeStyle: 's'}
  };

  // -- the services -------------------------------------------------------------------------
  function slots(object, kind, method) {
    var desc = object !== null && (typeof object === 'object' || typeof object === 'function') ?
      getOwnPropertyDescriptor(object, SLOT) : undefined;
    if (!desc || desc.value.kind !== kind) {
      throw new TypeErrorCtor('Method Intl.' + kind + '.prototype.' + method +
        ' called on incompatible receiver');
    }
    return desc.value;
  }

  function initialise(object, kind, locales, options) {
    var resolved = ask({op: 'resolve', kind: kind, locales: localeList(locales),
      options: readOptions(options, SPECS[kind]), req: 'any', def: 'date'});
    defineProperty(object, SLOT, {value: {kind: kind, key: stringify(resolved), bound: null}});
    return object;
  }

  function serve(state, value, parts) {
    return ask({op: 'format', kind: state.kind, r: state.key, v: value, parts: parts});
  }

  function method(proto, name, fn) {
    defineProperty(proto, name, {value: fn, writable: true, enumerable: false, configurable: true});
  }

  // A getter returning a function bound to the instance (format, compare), made once.
  function boundGetter(proto, kind, name, fn) {
    defineProperty(proto, name, {enumerable: false, configurable: true, get: function () {
      var state = slots(this, kind, name);
      if (!state.bound) {
        state.bound = callMethod(bind, fn, [this]);
      }
      return state.bound;
    }});
  }

  function service(kind, needsNew) {
    var Ctor = function (locales, options) {
      if (!(this instanceof Ctor) || getOwnPropertyDescriptor(this, SLOT)) {
        if (needsNew) {
          throw new TypeErrorCtor("Constructor Intl." + kind + " requires 'new'");
        }
        return new Ctor(locales, options);
      }
      return initialise(this, kind, locales, options);
    };
    defineProperty(Ctor, 'name', {value: kind});
    method(Ctor, 'supportedLocalesOf', function supportedLocalesOf(locales, options) {
      readOptions(options, {localeMatcher: 's'});
      return ask({op: 'supported', locales: localeList(locales)});
    });
    method(Ctor.prototype, 'resolvedOptions', function resolvedOptions() {
      return parse(slots(this, kind, 'resolvedOptions').key);
    });
    defineProperty(Ctor.prototype, SymbolCtor.toStringTag, {value: 'Intl.' + kind, configurable: true});
    return Ctor;
  }

  var NumberFormat = service('NumberFormat', false);
  boundGetter(NumberFormat.prototype, 'NumberFormat', 'format', function (value) {
    return serve(slots(this, 'NumberFormat', 'format'), toNumberText(value), false);
  });
  method(NumberFormat.prototype, 'formatToParts', function formatToParts(value) {
    return serve(slots(this, 'NumberFormat', 'formatToParts'), toNumberText(value), true);
  });

  function timeValue(date) {
    return date === undefined ? now() : NumberCtor(date);
  }
  var DateTimeFormat = service('DateTimeFormat', false);
  boundGetter(DateTimeFormat.prototype, 'DateTimeFormat', 'format', function (date) {
    return serve(slots(this, 'DateTimeFormat', 'format'), timeValue(date), false);
  });
  method(DateTimeFormat.prototype, 'formatToParts', function formatToParts(date) {
    return serve(slots(this, 'DateTimeFormat', 'formatToParts'), timeValue(date), true);
  });

  var PluralRules = service('PluralRules', true);
  method(PluralRules.prototype, 'select', function select(value) {
    return serve(slots(this, 'PluralRules', 'select'), toNumberText(value), false);
  });

  var RelativeTimeFormat = service('RelativeTimeFormat', true);
  method(RelativeTimeFormat.prototype, 'format', function format(value, unit) {
    var state = slots(this, 'RelativeTimeFormat', 'format');
    return serve(state, [toNumberText(value), StringCtor(unit)], false);
  });
  method(RelativeTimeFormat.prototype, 'formatToParts', function formatToParts(value, unit) {
    var state = slots(this, 'RelativeTimeFormat', 'formatToParts');
    return serve(state, [toNumberText(value), StringCtor(unit)], true);
  });

  var Collator = service('Collator', false);
  boundGetter(Collator.prototype, 'Collator', 'compare', function (x, y) {
    return serve(slots(this, 'Collator', 'compare'), [StringCtor(x), StringCtor(y)], false);
  });

  var Intl = {};
  method(Intl, 'getCanonicalLocales', function getCanonicalLocales(locales) {
    return ask({op: 'canonical', locales: localeList(locales)});
  });
  var services = {DateTimeFormat: DateTimeFormat, NumberFormat: NumberFormat, Collator: Collator,
    PluralRules: PluralRules, RelativeTimeFormat: RelativeTimeFormat};
  for (var name in services) {
    method(Intl, name, services[name]);
  }
  defineProperty(Intl, SymbolCtor.toStringTag, {value: 'Intl', configurable: true});
  method(global, 'Intl', Intl);

  // -- toLocale* on the built-ins: one crossing each (resolve and format together) ------------
  function once(kind, locales, options, value, required, defaults) {
    return ask({op: 'once', kind: kind, locales: localeList(locales),
      options: readOptions(options, SPECS[kind]), req: required, def: defaults, v: value});
  }
  function thisNumber(value) {
    return typeof value === 'number' ? value : callMethod(numberValueOf, value);
  }
  method(Number.prototype, 'toLocaleString', function toLocaleString(locales, options) {
    return once('NumberFormat', locales, options, numberText(thisNumber(this)));
  });
  function dateMethod(name, required, defaults) {
    var fn = function (locales, options) {
      var time = callMethod(dateValueOf, this);  // TypeError for a receiver that is no Date
      if (time !== time) {
        return 'Invalid Date';
      }
      return once('DateTimeFormat', locales, options, time, required, defaults);
    };
    defineProperty(fn, 'name', {value: name});
    method(Date.prototype, name, fn);
  }
  dateMethod('toLocaleString', 'any', 'all');
  dateMethod('toLocaleDateString', 'date', 'date');
  dateMethod('toLocaleTimeString', 'time', 'time');
  method(StringCtor.prototype, 'localeCompare', function localeCompare(that, locales, options) {
    if (this === null || this === undefined) {
      throw new TypeErrorCtor('String.prototype.localeCompare called on null or undefined');
    }
    return once('Collator', locales, options, [StringCtor(this), StringCtor(that)]);
  });
})(this);
