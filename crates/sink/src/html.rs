//! `report.html`: the report as one self-contained page — inline CSS, an inline SVG chart and a
//! small inline script, no network resource of any kind. It shows the totals with a chart of
//! outcomes, the projects with what `migrate` applies, the manual tasks, the credential usage, a
//! searchable, sortable item table with filters (kind, outcome, project, finding code) and the
//! glossary. Without JavaScript everything is still there; only search, filters and sorting need it.

use std::collections::BTreeSet;
use std::io::{self, Write};

use ksdm_model::{ItemKind, Severity, Verdict};

use crate::report::{kind_singular, severity_label, short_message, Report};

/// Colours of the verdicts in the chart and badges.
fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Successful => "#2e7d32",
        Verdict::MigratesWithLosses => "#f9a825",
        Verdict::NeedsPerson => "#ef6c00",
        Verdict::Unsupported => "#6a1b9a",
        Verdict::Failed => "#c62828",
        Verdict::Skipped => "#78909c",
    }
}

/// Escapes text for HTML content and attribute values.
fn h(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}#items th{cursor:pointer;user-select:none}#items th[data-dir=asc]::after{content:" \25B2"}#items th[data-dir=desc]::after{content:" \25BC"}
td.n{text-align:right}.badge{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em;white-space:nowrap}
.controls{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}.controls input{flex:1 1 16em}
code{font-size:.9em}.failed{color:#c62828;font-weight:bold}.ok{color:#2e7d32;font-weight:bold}
dl.glossary dt{font-family:monospace;margin-top:.6em}dl.glossary dd{margin-left:1.5em}
.legend span{margin-right:1em;white-space:nowrap}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
"#;

const SCRIPT: &str = r#"
(function(){
  var table=document.getElementById('items');
  var rows=Array.prototype.slice.call(table.tBodies[0].rows);
  var q=document.getElementById('search');
  var sel={kind:document.getElementById('f-kind'),verdict:document.getElementById('f-verdict'),project:document.getElementById('f-project'),code:document.getElementById('f-code')};
  var shown=document.getElementById('shown');
  function apply(){
    var text=q.value.toLowerCase(),n=0;
    rows.forEach(function(r){
      var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)
        &&(!sel.kind.value||r.dataset.kind===sel.kind.value)
        &&(!sel.verdict.value||r.dataset.verdict===sel.verdict.value)
        &&(!sel.project.value||r.dataset.project===sel.project.value)
        &&(!sel.code.value||(' '+r.dataset.codes+' ').indexOf(' '+sel.code.value+' ')>=0);
      r.hidden=!ok;if(ok)n++;
    });
    shown.textContent=String(n);
  }
  q.addEventListener('input',apply);
  Object.keys(sel).forEach(function(k){sel[k].addEventListener('change',apply);});
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){
      var dir=th.dataset.dir==='asc'?'desc':'asc';
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){delete o.dataset.dir;});
      th.dataset.dir=dir;
      var s=dir==='asc'?1:-1;
      rows.sort(function(a,b){
        var x=a.cells[i].dataset.sort||a.cells[i].textContent,y=b.cells[i].dataset.sort||b.cells[i].textContent;
        return x<y?-s:x>y?s:0;
      });
      rows.forEach(function(r){table.tBodies[0].appendChild(r);});
    });
  });
  apply();
})();
"#;

impl Report {
    /// Writes `report.html` (one self-contained page), streaming the items.
    pub fn write_html(&self, w: &mut impl Write) -> io::Result<()> {
        let totals = self.totals();
        let all_items: usize = totals.values().map(|t| t.total).sum();
        writeln!(
            w,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        )?;
        writeln!(
            w,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        )?;
        writeln!(
            w,
            "<title>ks-devops-migrate {} report</title>\n<style>{STYLE}</style></head><body>",
            h(&self.command)
        )?;
        writeln!(
            w,
            "<h1>ks-devops-migrate {} report</h1>\n<ul>",
            h(&self.command)
        )?;
        writeln!(w, "<li>tool: {}</li>", h(&self.tool))?;
        for i in &self.inputs {
            writeln!(w, "<li>input: {}</li>", h(i))?;
        }
        if let Some(o) = &self.output {
            writeln!(w, "<li>output: {}</li>", h(o))?;
        }
        let (class, text) = if self.failed() {
            ("failed", "FAILED (see Failed items and run errors)")
        } else {
            ("ok", "no failures")
        };
        writeln!(
            w,
            "<li>result: <span id=\"result\" class=\"{class}\">{text}</span></li></ul>"
        )?;

        // Totals and chart.
        writeln!(w, "<h2>Totals</h2>")?;
        writeln!(
            w,
            "<p><b id=\"total-items\">{all_items}</b> items, <b id=\"total-tasks\">{}</b> manual tasks. \
             <i>Partial: migrates, settings lost on a later edit or changed</i> items migrate and work as \
             before; pipelines lose some settings the first time they are edited in KubeSphere, memberships get \
             a different role. <i>Partial: needs a person</i> items \
             migrate, but someone must act before or after.</p>",
            self.manual_tasks().len()
        )?;
        self.chart(w)?;
        write!(
            w,
            "<table id=\"totals\"><thead><tr><th>kind</th><th>total</th>"
        )?;
        for v in Verdict::ALL {
            write!(w, "<th>{}</th>", h(v.label()))?;
        }
        writeln!(w, "</tr></thead><tbody>")?;
        for (kind, t) in &totals {
            write!(
                w,
                "<tr data-kind=\"{}\"><td>{}</td><td class=\"n\" data-verdict=\"total\">{}</td>",
                kind_key(*kind),
                kind.plural(),
                t.total
            )?;
            for v in Verdict::ALL {
                let n = t.by_verdict.get(v.key()).copied().unwrap_or(0);
                write!(w, "<td class=\"n\" data-verdict=\"{}\">{n}</td>", v.key())?;
            }
            writeln!(w, "</tr>")?;
        }
        writeln!(w, "</tbody></table>")?;

        if !self.run_errors.is_empty() {
            writeln!(w, "<h2>Run errors</h2><ul>")?;
            for e in &self.run_errors {
                writeln!(w, "<li>{}</li>", h(e))?;
            }
            writeln!(w, "</ul>")?;
        }
        if !self.notes.is_empty() {
            writeln!(w, "<h2>Notes</h2><ul>")?;
            for n in &self.notes {
                writeln!(w, "<li>{}</li>", h(n))?;
            }
            writeln!(w, "</ul>")?;
        }

        // Projects.
        writeln!(w, "<h2>Projects: what <code>migrate</code> applies</h2>")?;
        writeln!(w, "<table id=\"projects\"><thead><tr><th>project</th><th>workspace</th><th>id</th><th>outcome</th><th>applies</th><th>admins</th></tr></thead><tbody>")?;
        for p in self.projects().values() {
            let applies: Vec<String> = p.applies.iter().map(|(k, n)| format!("{n} {k}")).collect();
            writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if p.display_name.is_empty() { "—".into() } else { h(&p.display_name) },
                h(p.workspace.as_deref().unwrap_or("—")),
                h(&p.id),
                h(p.outcome.label()),
                if applies.is_empty() { "nothing".into() } else { h(&applies.join(", ")) },
                if p.admins.is_empty() { "—".into() } else { h(&p.admins.join(", ")) }
            )?;
        }
        writeln!(w, "</tbody></table>")?;

        // Manual tasks.
        let tasks = self.manual_tasks();
        writeln!(w, "<h2>Manual tasks ({})</h2>", tasks.len())?;
        if tasks.is_empty() {
            writeln!(w, "<p>None.</p>")?;
        } else {
            writeln!(w, "<ol id=\"tasks\">")?;
            for t in &tasks {
                let sev = if t.finding.severity == Severity::Error {
                    "failed"
                } else {
                    "to do"
                };
                writeln!(
                    w,
                    "<li>[{sev}] {} — {} (<code>{}</code>)</li>",
                    h(&self.task_subject(t)),
                    h(&t.finding.message),
                    h(&t.finding.code)
                )?;
            }
            writeln!(w, "</ol>")?;
        }

        // Credential usage.
        writeln!(w, "<h2>Credential usage</h2>")?;
        writeln!(
            w,
            "<p>{} references: {}.</p>",
            self.credential_usage().len(),
            h(&self.credential_usage_line())
        )?;
        if !self.credential_usage().is_empty() {
            writeln!(w, "<table id=\"credential-usage\"><thead><tr><th>project</th><th>pipeline</th><th>credential</th><th>referenced in</th><th>resolution</th><th>detail</th></tr></thead><tbody>")?;
            for u in self.credential_usage() {
                writeln!(
                    w,
                    "<tr data-resolution=\"{}\"><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    u.resolution.key(),
                    h(&self.project_name(&u.project)),
                    h(&u.pipeline),
                    h(&u.credential_id),
                    h(&u.referenced_in),
                    u.resolution.label(),
                    h(&u.detail)
                )?;
            }
            writeln!(w, "</tbody></table>")?;
        }

        // Items, with filters.
        let glossary = self.glossary();
        writeln!(
            w,
            "<h2>Items (<span id=\"shown\">{all_items}</span> shown)</h2>"
        )?;
        writeln!(w, "<div class=\"controls\"><input id=\"search\" type=\"search\" placeholder=\"Search items, reasons, codes…\" aria-label=\"search\">")?;
        write!(
            w,
            "<select id=\"f-kind\" aria-label=\"kind\"><option value=\"\">all kinds</option>"
        )?;
        for k in ItemKind::ALL {
            write!(
                w,
                "<option value=\"{}\">{}</option>",
                kind_key(k),
                k.plural()
            )?;
        }
        write!(w, "</select><select id=\"f-verdict\" aria-label=\"outcome\"><option value=\"\">all outcomes</option>")?;
        for v in Verdict::ALL {
            write!(w, "<option value=\"{}\">{}</option>", v.key(), h(v.label()))?;
        }
        write!(w, "</select><select id=\"f-project\" aria-label=\"project\"><option value=\"\">all projects</option>")?;
        let mut project_ids: BTreeSet<String> = self.projects().keys().cloned().collect();
        let _ = self.for_each_project(|g| {
            if let Some(i) = g.first() {
                project_ids.insert(i.project.clone());
            }
            Ok(())
        });
        for id in &project_ids {
            write!(
                w,
                "<option value=\"{}\">{}</option>",
                h(id),
                h(&self.project_name(id))
            )?;
        }
        write!(w, "</select><select id=\"f-code\" aria-label=\"finding code\"><option value=\"\">all finding codes</option>")?;
        for e in &glossary {
            write!(w, "<option value=\"{0}\">{0}</option>", h(e.code))?;
        }
        writeln!(w, "</select></div>")?;
        writeln!(w, "<table id=\"items\"><thead><tr><th>project</th><th>kind</th><th>item</th><th>v3.0 object</th><th>outcome</th><th>reasons</th></tr></thead><tbody>")?;
        self.for_each_project(|group| {
            for i in group {
                let codes: Vec<&str> = i.findings.iter().map(|f| f.code.as_str()).collect();
                let v = i.verdict();
                let reasons: Vec<String> = i
                    .findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{} <code>{}</code>: {}",
                            severity_label(f.severity),
                            h(&f.code),
                            h(&short_message(&i.id, &f.message))
                        )
                    })
                    .collect();
                writeln!(
                    w,
                    "<tr data-kind=\"{}\" data-verdict=\"{}\" data-project=\"{}\" data-codes=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                     <td data-sort=\"{}\"><span class=\"badge\" style=\"background:{}\">{}</span></td><td>{}</td></tr>",
                    kind_key(i.kind),
                    v.key(),
                    h(&i.project),
                    h(&codes.join(" ")),
                    h(&self.project_name(&i.project)),
                    kind_singular(i.kind),
                    h(&i.id),
                    i.target.as_deref().map(h).unwrap_or_else(|| "—".into()),
                    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0),
                    colour(v),
                    h(v.label()),
                    if reasons.is_empty() { "—".into() } else { reasons.join("<br>") }
                )?;
            }
            Ok(())
        })?;
        writeln!(w, "</tbody></table>")?;

        writeln!(
            w,
            "<h2>Glossary of finding codes</h2><dl class=\"glossary\">"
        )?;
        for e in &glossary {
            writeln!(
                w,
                "<dt id=\"code-{0}\">{0}</dt><dd>{1}. <b>When:</b> {2}. <b>What to do:</b> {3}.</dd>",
                h(e.code),
                h(e.what),
                h(e.when),
                h(e.action)
            )?;
        }
        writeln!(w, "</dl>\n<script>{SCRIPT}</script>\n</body></html>")
    }

    /// A project's display name, or its id when it has none.
    fn project_name(&self, id: &str) -> String {
        self.projects()
            .get(id)
            .filter(|p| !p.display_name.is_empty())
            .map(|p| p.display_name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// A stacked bar per item kind, one segment per verdict, with a legend.
    fn chart(&self, w: &mut impl Write) -> io::Result<()> {
        let totals = self.totals();
        let (width, bar, gap, label_w) = (780.0f64, 22.0f64, 10.0f64, 135.0f64);
        let height = totals.len() as f64 * (bar + gap) + gap;
        writeln!(
            w,
            "<svg id=\"chart\" role=\"img\" aria-label=\"outcomes per kind\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
        )?;
        for (row, (kind, t)) in totals.iter().enumerate() {
            let y = gap + row as f64 * (bar + gap);
            writeln!(
                w,
                "<text x=\"0\" y=\"{}\" font-size=\"13\">{} ({})</text>",
                y + bar * 0.72,
                kind.plural(),
                t.total
            )?;
            let mut x = label_w;
            let span = width - label_w - 4.0;
            for v in Verdict::ALL {
                let n = t.by_verdict.get(v.key()).copied().unwrap_or(0);
                if n == 0 || t.total == 0 {
                    continue;
                }
                let wd = span * n as f64 / t.total as f64;
                writeln!(
                    w,
                    "<rect data-kind=\"{}\" data-verdict=\"{}\" data-count=\"{n}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{wd:.1}\" height=\"{bar}\" fill=\"{}\"><title>{}: {} {n}</title></rect>",
                    kind_key(*kind),
                    v.key(),
                    colour(v),
                    kind.plural(),
                    h(v.label())
                )?;
                if wd > 18.0 {
                    writeln!(
                        w,
                        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#fff\" text-anchor=\"middle\">{n}</text>",
                        x + wd / 2.0,
                        y + bar * 0.72
                    )?;
                }
                x += wd;
            }
        }
        writeln!(w, "</svg>\n<div class=\"legend\">")?;
        for v in Verdict::ALL {
            write!(
                w,
                "<span><i style=\"background:{}\"></i>{}</span>",
                colour(v),
                h(v.label())
            )?;
        }
        writeln!(w, "</div>")
    }
}

fn kind_key(k: ItemKind) -> &'static str {
    match k {
        ItemKind::Project => "project",
        ItemKind::Pipeline => "pipeline",
        ItemKind::Credential => "credential",
        ItemKind::Membership => "membership",
    }
}

#[cfg(test)]
mod tests {
    use ksdm_model::{Finding, ItemReport, Outcome};

    use super::*;

    #[test]
    fn html_is_escaped_and_self_contained() {
        let mut r = Report::default();
        r.tool = "t".into();
        r.command = "assess".into();
        r.extend([ItemReport {
            kind: ItemKind::Pipeline,
            project: "p".into(),
            id: "<script>alert(1)</script>".into(),
            target: None,
            outcome: Outcome::PartiallySuccessful,
            findings: vec![Finding::warning("pipeline.trigger-lost", "a & b")],
        }]);
        r.finish();
        let mut v = Vec::new();
        r.write_html(&mut v).unwrap();
        let html = String::from_utf8(v).unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("a &amp; b"));
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the inline script"
        );
        for banned in ["http://", "https://", "src=", "@import", "url("] {
            let outside_svg_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(!outside_svg_ns.contains(banned), "{banned}");
        }
        assert!(html.contains("data-verdict=\"migrates-with-losses\""));
    }
}
