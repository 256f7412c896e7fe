/**
 * The details card of the selected mode, from the core's who-sees-what model: who knows your IP address and who does
 * not (with each party's reason), what every other party involved learns, and what the mode costs. Tor's card also
 * shows the variant "with an .onion gateway" (model 'tor-onion').
 */
import { useId } from 'react';
import { MODE_NAMES, type ModeId } from './modes';
import { ASPECT_NAMES, factsRows, ipSummary, KNOWS_WORDS, modeModel, otherFacts, type PartyLine, type PrivacyModeId, type WhoSeesWhat } from './model';
import { LevelMeter } from './parts';

function PartyList({ title, lines, kind }: { title: string; lines: PartyLine[]; kind: 'known' | 'partly' | 'hidden' }) {
  const id = useId();
  if (lines.length === 0) return null;
  return (
    <div className={`ip-list ip-list-${kind}`}>
      <p id={id} className="ip-list-title">
        {title}
      </p>
      <ul aria-labelledby={id}>
        {lines.map((l) => (
          <li key={l.party}>
            <span className="ip-party">{l.label}</span> <span className="ip-why">{l.why}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function IpAddress({ model, mode }: { model: WhoSeesWhat; mode: PrivacyModeId }) {
  const ip = ipSummary(model, mode);
  return (
    <div className="ip-summary">
      <PartyList title="Your IP address is known to:" lines={ip.knownTo} kind="known" />
      <PartyList title="Your IP address is partly known to:" lines={ip.partlyKnownTo} kind="partly" />
      <PartyList title="Hidden from:" lines={ip.hiddenFrom} kind="hidden" />
    </div>
  );
}

/** Every party involved (rows) against the facts other than the IP address (columns): yes / partly / no. */
function FactsTable({ model, mode, caption }: { model: WhoSeesWhat; mode: PrivacyModeId; caption: string }) {
  const facts = otherFacts(model);
  const rows = factsRows(model, mode);
  return (
    <div className="facts">
      <div className="facts-scroll">
        <table className="facts-table">
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Who</th>
              {facts.map((f) => (
                <th key={f.id} scope="col">
                  {f.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.party}>
                <th scope="row">{r.label}</th>
                {r.cells.map((c) => (
                  <td key={c.fact} className={`knows knows-${c.knows}`}>
                    {KNOWS_WORDS[c.knows]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details className="facts-why">
        <summary>Why, party by party</summary>
        {rows.map((r) => (
          <div key={r.party} className="facts-why-party">
            <h4>{r.label}</h4>
            <p className="facts-role">{r.role}</p>
            <ul>
              {r.cells.map((c) => (
                <li key={c.fact}>
                  <strong>
                    {facts.find((f) => f.id === c.fact)?.label}: {KNOWS_WORDS[c.knows].toLowerCase()}.
                  </strong>{' '}
                  {c.why}
                </li>
              ))}
            </ul>
          </div>
        ))}
      </details>
    </div>
  );
}

function TradeOffs({ model, mode, only, label }: { model: WhoSeesWhat; mode: PrivacyModeId; only?: 'speed'; label: string }) {
  const all = modeModel(model, mode)?.tradeOffs ?? [];
  const shown = only === undefined ? all : all.filter((t) => t.aspect === only);
  return (
    <ul className="trade-offs" aria-label={label}>
      {shown.map((t) => (
        <li key={t.aspect}>
          <LevelMeter label={ASPECT_NAMES[t.aspect]} level={t.level} words={t.words} />
        </li>
      ))}
    </ul>
  );
}

export function ModeDetails({ model, mode }: { model: WhoSeesWhat; mode: ModeId }) {
  const id = useId();
  const m = modeModel(model, mode);
  const onion = mode === 'tor' ? modeModel(model, 'tor-onion') : undefined;
  if (m === undefined) return null;
  return (
    <section className="card mode-details" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{MODE_NAMES[mode]}: who sees what</h2>
      <p className="mode-details-summary">{m.summary}</p>
      <IpAddress model={model} mode={mode} />
      <TradeOffs model={model} mode={mode} label="What it costs" />
      <FactsTable model={model} mode={mode} caption={`What else each party learns in ${MODE_NAMES[mode]} mode`} />
      {onion !== undefined && (
        <section className="onion-variant" aria-labelledby={`${id}-onion`}>
          <h3 id={`${id}-onion`}>With an .onion gateway</h3>
          <p>{onion.summary}</p>
          <IpAddress model={model} mode="tor-onion" />
          <TradeOffs model={model} mode="tor-onion" only="speed" label="What it costs with an .onion gateway" />
          <details>
            <summary>What each party learns with an .onion gateway</summary>
            <FactsTable model={model} mode="tor-onion" caption="What else each party learns with an .onion gateway" />
          </details>
        </section>
      )}
    </section>
  );
}
