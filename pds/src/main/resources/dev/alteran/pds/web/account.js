// Progressive help on the account pages; every page works without it.
// A "Copy" button beside a newly created app password.
document.addEventListener('DOMContentLoaded', () => {
  const secret = document.getElementById('new-password')
  if (!secret || !navigator.clipboard) return
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'small-copy'
  button.textContent = 'Copy'
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(secret.textContent)
    button.textContent = 'Copied'
  })
  secret.after(button)
})
