# Sign-in, registration and the dashboard.

auth-no-account = No account yet?
auth-create-account = Create your account
auth-password-hint = (at least 8 characters)
auth-repeat-password = Repeat the password
auth-already-registered = Already registered?

dash-signed-in-as = Signed in as
dash-recent-orders = Recent orders
dash-no-orders = You have no orders yet:
dash-place-first = place your first.
dash-all-orders = All orders
dash-recent-transactions = Recent transactions
dash-no-transactions = No transactions yet.
