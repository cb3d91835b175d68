# সাইন ইন, নিবন্ধন ও ড্যাশবোর্ড।

auth-no-account = এখনও অ্যাকাউন্ট নেই?
auth-create-account = আপনার অ্যাকাউন্ট খুলুন
auth-password-hint = (অন্তত ৮টি অক্ষর)
auth-repeat-password = পাসওয়ার্ডটি আবার লিখুন
auth-already-registered = আগেই নিবন্ধন করেছেন?

dash-signed-in-as = যে নামে সাইন ইন করেছেন
dash-recent-orders = সাম্প্রতিক অর্ডার
dash-no-orders = আপনার এখনও কোনো অর্ডার নেই:
dash-place-first = প্রথম অর্ডারটি দিন।
dash-all-orders = সব অর্ডার
dash-recent-transactions = সাম্প্রতিক লেনদেন
dash-no-transactions = এখনও কোনো লেনদেন নেই।
