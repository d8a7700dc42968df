// Calls this site's /api: the browser never sees the gateway, its key or its token.
async function call(path) {
  const status = document.getElementById("status");
  const answer = document.getElementById("answer");
  status.textContent = "Calling " + path + " ...";
  try {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const text = await response.text();
    status.textContent = path + " answered " + response.status;
    try {
      answer.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch (notJson) {
      answer.textContent = text;
    }
  } catch (failure) {
    status.textContent = path + " failed: " + failure;
    answer.textContent = "";
  }
}

document.getElementById("products").addEventListener("click", () => call("api/products"));
document.getElementById("request").addEventListener("click", () => call("api/request-info"));
call("api/products");
