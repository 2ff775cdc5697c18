// TraceHtmlAssets: the inline style sheet and script of report.html (no fonts, images or scripts fetched from anywhere).
namespace NcutKernels.Cli;

/// <summary>The CSS and JavaScript that <see cref="TraceHtml"/> inlines into the page.</summary>
internal static class TraceHtmlAssets
{
    /// <summary>The style sheet: system fonts only, maps scaled up without smoothing.</summary>
    public const string Css = """
        :root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --panel: #f6f6f8; --accent: #3b5bdb; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
        header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
        header { padding-top: 20px; border-bottom: 1px solid var(--line); }
        h1 { margin: 0 0 4px; font-size: 26px; }
        h2 { margin: 28px 0 10px; font-size: 21px; }
        h3 { margin: 18px 0 8px; font-size: 16px; }
        nav { margin: 8px 0 14px; }
        nav a { margin-right: 12px; color: var(--accent); text-decoration: none; }
        nav a:hover, nav a:focus { text-decoration: underline; }
        .muted { color: var(--muted); }
        table { border-collapse: collapse; }
        th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid var(--line); vertical-align: middle; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
        .kv th { font-weight: 600; color: var(--muted); white-space: nowrap; }
        .figures { display: flex; flex-wrap: wrap; gap: 18px; }
        figure { margin: 0; }
        figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
        img.photo { max-width: 100%; height: auto; display: block; border: 1px solid var(--line); }
        img.map { image-rendering: pixelated; display: block; width: 132px; height: auto; background: #000; }
        img.map.large { width: 220px; max-width: 100%; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 3px; margin-right: 8px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.35); }
        .chip { display: inline-block; padding: 0 7px; margin: 2px 4px 2px 0; border-radius: 10px; font-size: 12px; color: #000; border: 1px solid rgba(0,0,0,.25); }
        section.cluster { border-top: 2px solid var(--line); margin-top: 28px; }
        .diag { display: inline-block; padding: 6px 12px; background: var(--panel); border-radius: 6px; border-left: 4px solid #2f9e44; }
        .diag.doubtful { border-left-color: #e8590c; }
        .diag .verdict { font-weight: 600; margin: 4px 0; }
        .warn { color: #b0420a; max-width: 72em; }
        .grid-wrap { overflow-x: auto; }
        table.grid th, table.grid td { border: none; padding: 3px 4px; }
        table.grid thead th { font-weight: 600; font-size: 13px; }
        table.grid img[data-channel] { cursor: pointer; }
        table.grid img.selected { outline: 3px solid var(--accent); outline-offset: 1px; }
        .legend { display: flex; align-items: center; gap: 8px; font-size: 13px; color: var(--muted); margin: 6px 0 0; }
        .ramp { width: 180px; height: 12px; border: 1px solid var(--line); }
        .explore { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; margin-top: 12px; }
        table.ranked caption, table.all caption { text-align: left; font-size: 13px; color: var(--muted); padding-bottom: 4px; caption-side: top; }
        table.ranked tr[data-channel] { cursor: pointer; }
        table.ranked tr.selected { background: #e7ecff; }
        button.pick { font: inherit; font-weight: 600; min-width: 3.5em; padding: 1px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
        button.pick:focus-visible { outline: 3px solid var(--accent); outline-offset: 1px; }
        button.pick[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
        .preview { flex: 1 1 360px; min-height: 120px; padding: 10px 14px; background: var(--panel); border-radius: 6px; }
        .preview .caption { margin: 0 0 8px; font-weight: 600; }
        .preview .maps { display: flex; flex-wrap: wrap; gap: 12px; }
        details { margin: 14px 0; }
        summary { cursor: pointer; color: var(--accent); }
        svg.spectrum { flex: 1 1 420px; width: 100%; max-width: 620px; height: auto; background: var(--panel); border-radius: 6px; }
        svg.spectrum .bar { fill: var(--accent); }
        svg.spectrum .tick { stroke: var(--line); }
        svg.spectrum .zero { stroke: var(--ink); }
        svg.spectrum text { font-size: 11px; fill: var(--muted); }
        svg.spectrum text.title { font-size: 13px; font-weight: 600; fill: var(--ink); }
        svg.spectrum text.value { font-size: 10px; fill: var(--ink); }
        .charts { display: flex; flex-wrap: wrap; gap: 18px; }
        footer { margin-top: 36px; padding-bottom: 28px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 10px; }
        """;

    /// <summary>
    /// The script: hovering a row of a cluster's top-channel table or a map of its grid, or focusing or pressing a
    /// channel's button, shows that channel's maps (the grid's own images, not copies) in the cluster's preview area.
    /// Text goes in through textContent only.
    /// </summary>
    public const string Script = """
        (function () {
          "use strict";
          function select(section, channel) {
            section.querySelectorAll("tr[data-channel]").forEach(function (r) { r.classList.toggle("selected", r.dataset.channel === channel); });
            section.querySelectorAll("button.pick").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.channel === channel)); });
            section.querySelectorAll("table.grid img[data-channel]").forEach(function (i) { i.classList.toggle("selected", i.dataset.channel === channel); });
            var row = section.querySelector("tr[data-channel='" + channel + "']");
            var preview = section.querySelector(".preview");
            preview.querySelector(".caption").textContent = row ? row.dataset.caption : "";
            var maps = preview.querySelector(".maps");
            maps.replaceChildren();
            section.querySelectorAll("table.grid img[data-channel='" + channel + "']").forEach(function (source) {
              var figure = document.createElement("figure");
              var img = document.createElement("img");
              img.className = "map large";
              img.src = source.src;
              img.alt = source.alt;
              img.dataset.image = source.dataset.image;
              var caption = document.createElement("figcaption");
              caption.textContent = source.dataset.imageName;
              figure.append(img, caption);
              maps.append(figure);
            });
          }
          document.querySelectorAll("section.cluster").forEach(function (section) {
            section.querySelectorAll("tr[data-channel], table.grid img[data-channel]").forEach(function (el) {
              el.addEventListener("mouseenter", function () { select(section, el.dataset.channel); });
              el.addEventListener("click", function () { select(section, el.dataset.channel); });
            });
            section.querySelectorAll("button.pick").forEach(function (b) {
              b.addEventListener("focus", function () { select(section, b.dataset.channel); });
            });
            var first = section.querySelector("tr[data-channel]");
            if (first) select(section, first.dataset.channel);
          });
        })();
        """;
}
