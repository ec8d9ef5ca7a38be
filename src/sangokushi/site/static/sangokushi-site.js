// The versioned site: a banner on pages of any edition but the preferred one. It reads the
// site's switcher.json at load time, so editions built before a newer one still point to it.
(() => {
  const kind = document.currentScript ? document.currentScript.dataset.kind : "release";

  async function goToSamePage(event) {
    event.preventDefault();
    const link = event.currentTarget;
    try {
      const head = await fetch(link.href, { method: "HEAD" });
      location.href = head.ok ? link.href : link.dataset.home;
    } catch (error) {
      location.href = link.dataset.home;
    }
  }

  async function showBanner() {
    // Sphinx declares it with const: a global binding, not a property of window.
    const options = typeof DOCUMENTATION_OPTIONS === "undefined" ? {} : DOCUMENTATION_OPTIONS;
    const current = options.theme_switcher_version_match;
    if (!options.theme_switcher_json_url || !current) return;
    let entries;
    try {
      const response = await fetch(options.theme_switcher_json_url, { cache: "no-cache" });
      entries = await response.json();
    } catch (error) {
      return;
    }
    const best = entries.find((entry) => entry.preferred);
    if (!best || best.version === current) return;
    const position = (version) => entries.findIndex((entry) => entry.version === version);

    let text = `これは旧版（${current}）です。`;
    if (kind === "branch") {
      text = `これは執筆中の版（${current}）です。`;
    } else if (position(current) >= 0 && position(current) < position(best.version)) {
      text = `これは刊行前の版（${current}）です。`;
    }
    const banner = document.createElement("aside");
    banner.id = "sangokushi-version-banner";
    banner.className = "sangokushi-version-banner d-print-none";
    banner.setAttribute("aria-label", "版の案内");
    const message = document.createElement("p");
    message.textContent = text;
    const link = document.createElement("a");
    link.href = `${best.url}${options.pagename}.html`;
    link.dataset.home = best.url;
    link.textContent = `最新版（${best.version}）で読む`;
    link.addEventListener("click", goToSamePage);
    message.append(link);
    banner.append(message);
    const article = document.querySelector(".bd-article") || document.body;
    article.prepend(banner);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showBanner);
  } else {
    showBanner();
  }
})();
