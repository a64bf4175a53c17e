// stegokit serve: optional comforts. Every form works without this script.
// - drop a file on a file field (or choose one) and see a preview;
// - the Hide page shows the chosen cover's capacity before hiding;
// - a form being sent says so.
"use strict";

function preview(input) {
  const img = input.parentElement.querySelector("img.preview");
  if (!img) return;
  const file = input.files && input.files[0];
  if (file && file.type.startsWith("image/")) {
    img.src = URL.createObjectURL(file);
    img.hidden = false;
  } else {
    img.hidden = true;
  }
}

function wireDrop(zone) {
  const input = zone.querySelector("input[type=file]");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  input.addEventListener("change", () => preview(input));
}

function number(n) { return Number(n).toLocaleString("en"); }

async function showCapacity(form) {
  const box = form.querySelector("#capacity");
  const cover = form.querySelector("input[name=cover]");
  if (!box || !cover.files.length) return;
  const data = new FormData();
  data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
  data.append("cover", cover.files[0]);
  box.hidden = false;
  box.textContent = "Measuring the capacity…";
  try {
    const answer = await fetch("/capacity", { method: "POST", body: data,
                                              headers: { Accept: "application/json" } });
    const report = await answer.json();
    if (!answer.ok) { box.textContent = report.error; return; }
    box.textContent = `${report.width}×${report.height}: LSB holds ${number(report.lsb["1"])} bytes at 1 bit per value `
      + `(${number(report.lsb["4"])} at 4 bits; encrypted: ${number(report.lsb_encrypted["1"])}); `
      + `neural: ${report.neural} bytes of text.`;
  } catch (error) {
    box.textContent = "The capacity could not be measured.";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-drop]").forEach(wireDrop);
  document.querySelectorAll("form[data-capacity] input[name=cover]").forEach((input) => {
    input.addEventListener("change", () => showCapacity(input.form));
  });
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      form.classList.add("busy");
      if (event.submitter && form.enctype === "multipart/form-data") {
        event.submitter.textContent = "Working…";
      }
    });
  });
});
